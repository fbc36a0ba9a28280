"""A client_credentials client built on Python's Authlib (not on anything of this project), authenticating with
private_key_jwt as Authlib does it by default. Run by test/interop-authlib.test.ts against a live auth server.

Arguments: TOKEN_ENDPOINT CLIENT_ID RESOURCE SCOPE [EXPIRES_IN]
The client's private key (PEM) comes from the environment variable CLIENT_KEY_PEM. With EXPIRES_IN, the
assertions are signed valid for that many seconds instead of Authlib's default (3600 s).
Prints one JSON object: {"token": {...}} or {"error": "...", "description": "..."}.
"""
import json
import os
import sys

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign


class ShortLivedPrivateKeyJWT(PrivateKeyJWT):
    """PrivateKeyJWT whose assertions expire after `expires_in` seconds (what the README tells Authlib users)."""

    def __init__(self, token_endpoint, expires_in, alg):
        super().__init__(token_endpoint, alg=alg)
        self.expires_in = expires_in

    def sign(self, auth, token_endpoint):
        return private_key_jwt_sign(
            auth.client_secret,
            client_id=auth.client_id,
            token_endpoint=token_endpoint,
            claims=self.claims,
            alg=self.alg,
            expires_in=self.expires_in,
        )


def main():
    token_endpoint, client_id, resource, scope = sys.argv[1:5]
    expires_in = int(sys.argv[5]) if len(sys.argv) > 5 else None
    key = os.environ["CLIENT_KEY_PEM"]
    if expires_in is None:
        method = PrivateKeyJWT(token_endpoint, alg="ES256")
    else:
        method = ShortLivedPrivateKeyJWT(token_endpoint, expires_in, alg="ES256")
    # Authlib's documented set-up for private_key_jwt: name the method, register its signer.
    session = OAuth2Session(client_id, key, token_endpoint_auth_method="private_key_jwt", scope=scope)
    session.register_client_auth_method(method)
    try:
        token = session.fetch_token(token_endpoint, grant_type="client_credentials", resource=resource, timeout=10)
        print(json.dumps({"token": dict(token)}))
    except OAuthError as error:
        print(json.dumps({"error": error.error, "description": error.description}))


if __name__ == "__main__":
    main()
