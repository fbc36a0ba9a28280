// @peculiar/x509 resolves its parts through tsyringe, which needs the Reflect metadata polyfill
// loaded first; the SDK reaches the library only through this file.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto);

export { x509 };
