"""Bearer JWTs: HS256 with a shared secret for development, RS256 verified by a JWKS URL (Keycloak or any OIDC IdP).

A token must name who (`sub`), what they may do (`roles`) and where (`scope`). A token without one of these is
refused, never widened: a missing scope once meant "every district", so an identity provider that forgot the claim
would have made every user city-wide."""
import time
import uuid

import jwt
from jwt import PyJWKClient

from bihuan_shared.auth.claims import principal_from_claims
from bihuan_shared.auth.principal import Principal, Role
from bihuan_shared.settings import ServiceSettings
from bihuan_shared.web.errors import Unauthorized

# Registered claims PyJWT checks for presence; roles and scope are checked by principal_from_claims.
REQUIRED_CLAIMS = ["exp", "sub", "aud", "iss"]
# A real token is well under 2 KiB; a longer one is refused before it is decoded (or its key looked up).
MAX_TOKEN_BYTES = 8 * 1024


class TokenVerifier:
    def __init__(self, settings: ServiceSettings):
        self.settings = settings
        self._jwks = PyJWKClient(settings.jwt_jwks_url, cache_keys=True) if settings.jwt_jwks_url else None

    def verify(self, token: str) -> Principal:
        if len(token) > MAX_TOKEN_BYTES:
            raise Unauthorized(f"身份令牌过长：上限 {MAX_TOKEN_BYTES} 字节", code="token_too_large",
                               details=[{"field": "Authorization", "message": f"最多 {MAX_TOKEN_BYTES} 字节"}])
        s = self.settings
        options = {"require": REQUIRED_CLAIMS}
        try:
            if self._jwks is not None:
                key = self._jwks.get_signing_key_from_jwt(token).key
                claims = jwt.decode(token, key, algorithms=["RS256"], audience=s.jwt_audience, issuer=s.jwt_issuer,
                                    options=options)
            else:
                claims = jwt.decode(token, s.jwt_secret, algorithms=[s.jwt_algorithm], audience=s.jwt_audience,
                                    issuer=s.jwt_issuer, options=options)
        except jwt.ExpiredSignatureError:
            raise Unauthorized("令牌已过期", code="token_expired") from None
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"令牌无效: {exc}", code="token_invalid") from None
        return principal_from_claims(claims)


def mint_token(settings: ServiceSettings, *, user: str, roles: list[str], scope: str, unit: str | None = None,
               name: str | None = None, ttl_seconds: int = 12 * 3600) -> str:
    """A development token signed with the shared secret. Real deployments get tokens from their IdP."""
    now = int(time.time())
    claims = {"sub": user, "name": name or user, "roles": [Role(r).value for r in roles], "unit": unit,
              "scope": scope, "aud": settings.jwt_audience, "iss": settings.jwt_issuer, "iat": now,
              "exp": now + ttl_seconds, "jti": uuid.uuid4().hex}
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
