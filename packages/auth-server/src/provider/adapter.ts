import type { Adapter, AdapterFactory, AdapterPayload } from "oidc-provider";
import type { Logger } from "@gatehouse/service-kit";
import type { ClientCredentials, TransportFacts } from "../registry/client-metadata.js";
import type { RegistryStore } from "../registry/store.js";

/**
 * oidc-provider's storage. Clients come from the service registry (a disabled or unknown service
 * is "client not found" → 401 `invalid_client`); `admitClient` lets the throttle refuse an attempt
 * before its credential is checked, told whether the id names a usable client. Client-assertion replay is decided
 * atomically in `assertJwtClientAuthClaimsAndHeader`, so the provider's own non-atomic
 * find-then-save replay store is a no-op here; JWT access tokens are never stored. A service whose
 * credential this process cannot resolve (a `secretEnv` set on another replica only) is logged and
 * treated as unknown, so it fails closed with `invalid_client`, not with a 500. The metadata depends
 * on the request's connection (`transport`): oidc-provider caches one client per distinct metadata.
 */
export function createAdapterFactory(
  registry: RegistryStore,
  credentials: ClientCredentials,
  admitClient: (clientId: string, known: boolean) => Promise<void>,
  logger: Logger,
  transport: () => TransportFacts | undefined = () => undefined,
): AdapterFactory {
  return (name: string): Adapter => {
    if (name === "Client") {
      return {
        ...nothingStored,
        async find(id: string): Promise<AdapterPayload | undefined> {
          const record = await registry.get(id);
          if (record === undefined || record.disabled) {
            await admitClient(id, false);
            return undefined;
          }
          await admitClient(id, true);
          try {
            return credentials.metadata(record, transport());
          } catch (error) {
            logger.error({ service: id, err: error instanceof Error ? error.message : String(error) }, "service credential cannot be resolved here");
            return undefined;
          }
        },
      };
    }
    return nothingStored;
  };
}

const nothingStored: Adapter = {
  upsert: () => Promise.resolve(),
  find: () => Promise.resolve(undefined),
  findByUserCode: () => Promise.resolve(undefined),
  findByUid: () => Promise.resolve(undefined),
  consume: () => Promise.resolve(),
  destroy: () => Promise.resolve(),
  revokeByGrantId: () => Promise.resolve(),
};
