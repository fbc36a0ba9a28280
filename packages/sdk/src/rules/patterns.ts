/**
 * The lexical rules every Gatehouse component checks the same way: the gateway's and the auth server's config
 * schemas, the SDK's options and its middleware. Each pattern comes with the one message that explains it.
 *
 * @module
 */

/** A pattern and the message that says what a value must be when it does not match. */
export interface NamedPattern {
  readonly pattern: RegExp;
  readonly message: string;
}

/**
 * A scope token (RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`): printable ASCII without spaces,
 * quotes or backslashes.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
export const SCOPE_TOKEN: NamedPattern = {
  pattern: /^[\x21\x23-\x5b\x5d-\x7e]+$/,
  message: "must be a scope token: printable ASCII without spaces, quotes or backslashes",
};

/**
 * A service id: a lower-case DNS label (RFC 1123 §2.1). It is the service's `client_id`, the `sub` of its tokens and
 * the name policies list it by.
 */
export const SERVICE_ID: NamedPattern = {
  pattern: /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
  message: "must be a DNS label: 1-63 of a-z, 0-9 and -, not starting or ending with -",
};

/** The name of a service attribute (a key of the `urn:gatehouse:attributes` claim). */
export const ATTRIBUTE_NAME: NamedPattern = {
  pattern: /^[A-Za-z0-9_.:-]{1,64}$/,
  message: "attribute names must be 1-64 of A-Z a-z 0-9 _ . : -",
};

/**
 * A bearer credential (RFC 6750 §2.1: `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 */
export const B64TOKEN: NamedPattern = {
  pattern: /^[A-Za-z0-9\-._~+/]+=*$/,
  message: "must be an RFC 6750 b64token",
};

/**
 * A value that may stand in a `WWW-Authenticate` quoted string without escaping (RFC 6750 §3: `%x20-21 / %x23-5B /
 * %x5D-7E`), such as a `realm`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export const CHALLENGE_VALUE: NamedPattern = {
  pattern: /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/,
  message: "must be printable ASCII without quotes or backslashes",
};
