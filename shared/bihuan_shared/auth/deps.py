"""FastAPI dependencies: authenticate the bearer token, then authorise by role (unit checks live in the routes,
where the unit of the record is known)."""
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bihuan_shared.auth.principal import Principal, Role
from bihuan_shared.web.errors import Forbidden, Unauthorized

_bearer = HTTPBearer(auto_error=False, description="Bearer JWT; mint a dev token with `make token`")


async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("缺少身份令牌 (Authorization: Bearer ...)", code="token_missing")
    principal = verified_token(request, credentials.credentials)
    tree = getattr(request.app.state, "scope_tree", None)
    if tree is not None and principal.scope is not None:
        districts = await tree.districts_of(principal.scope)
        if districts:
            principal = principal.model_copy(update={"districts": districts})
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def verified_token(request: Request, token: str) -> Principal:
    """The token's principal, verified once per request: the kit's write budget reads the caller before the route's
    own authentication does, and a signature check is the costliest step of either."""
    cached = getattr(request.state, "verified_token", None)
    if cached is not None and cached[0] == token:
        return cached[1]
    principal = request.app.state.token_verifier.verify(token)
    request.state.verified_token = (token, principal)
    return principal


def require_roles(*roles: Role):
    """Dependency factory: the caller must hold at least one of the roles."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has(*roles):
            raise Forbidden(f"需要角色: {', '.join(r.value for r in roles)}", code="role_forbidden")
        return principal

    check.required_roles = roles  # read by the authorisation-matrix test
    return check
