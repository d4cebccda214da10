from bihuan_shared.auth.principal import Principal, Role
from bihuan_shared.auth.deps import CurrentPrincipal, require_roles

__all__ = ["Principal", "Role", "CurrentPrincipal", "require_roles"]
