"""Bearer JWTs: HS256 with a shared secret for development, RS256 verified by a JWKS URL (Keycloak or any OIDC IdP)."""
import time
import uuid

import jwt
from jwt import PyJWKClient

from bihuan_shared.auth.principal import Principal, Role
from bihuan_shared.settings import ServiceSettings
from bihuan_shared.web.errors import Unauthorized


class TokenVerifier:
    def __init__(self, settings: ServiceSettings):
        self.settings = settings
        self._jwks = PyJWKClient(settings.jwt_jwks_url, cache_keys=True) if settings.jwt_jwks_url else None

    def verify(self, token: str) -> Principal:
        s = self.settings
        try:
            if self._jwks is not None:
                key = self._jwks.get_signing_key_from_jwt(token).key
                claims = jwt.decode(token, key, algorithms=["RS256"], audience=s.jwt_audience, issuer=s.jwt_issuer)
            else:
                claims = jwt.decode(token, s.jwt_secret, algorithms=[s.jwt_algorithm], audience=s.jwt_audience,
                                    issuer=s.jwt_issuer, options={"require": ["exp", "sub", "aud", "iss"]})
        except jwt.ExpiredSignatureError:
            raise Unauthorized("令牌已过期", code="token_expired") from None
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"令牌无效: {exc}", code="token_invalid") from None
        try:
            roles = frozenset(Role(r) for r in claims.get("roles", []))
        except ValueError as exc:
            raise Unauthorized(f"令牌角色无效: {exc}", code="token_invalid") from None
        return Principal(user=claims["sub"], name=claims.get("name"), roles=roles, unit=claims.get("unit"),
                         scope=claims.get("scope"))


def mint_token(settings: ServiceSettings, *, user: str, roles: list[str], unit: str | None = None,
               scope: str | None = None, name: str | None = None, ttl_seconds: int = 12 * 3600) -> str:
    """A development token signed with the shared secret. Real deployments get tokens from their IdP."""
    now = int(time.time())
    claims = {"sub": user, "name": name or user, "roles": [Role(r).value for r in roles], "unit": unit,
              "scope": scope, "aud": settings.jwt_audience, "iss": settings.jwt_issuer, "iat": now,
              "exp": now + ttl_seconds, "jti": uuid.uuid4().hex}
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
