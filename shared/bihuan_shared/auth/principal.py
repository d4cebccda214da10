"""Who is calling: user, roles, unit and scope, as carried in the bearer token's claims."""
from enum import StrEnum

from pydantic import BaseModel

from bihuan_shared.web.errors import Forbidden


class Role(StrEnum):
    TARGET_OFFICE = "target_office"    # 目标办: sets and publishes targets, approves adjustments
    UNIT_REPORTER = "unit_reporter"    # 单位填报员: reports progress for its own unit
    LEADER = "leader"                  # 分管领导: watches and signs for the targets in charge
    SUPERVISOR = "supervisor"          # 督查室: warnings and supervision orders
    ASSESSOR = "assessor"              # 考核委员会: schemes, scores, publication
    THIRD_PARTY = "third_party"        # 第三方评估机构: enters third-party evaluations
    FEED = "feed"                      # machine identity of the 12345 hotline or a service center


class Principal(BaseModel):
    """A caller. Tokens always name a scope (see auth/claims.py); only the system's own principals (clocks, the
    AMQP feed) are built in code, and those that act on records of many scopes carry none and never pass
    `require_scope`."""
    user: str
    name: str | None = None
    roles: frozenset[Role]
    unit: str | None = None
    scope: str | None = None
    token_id: str | None = None    # the token's jti: the audit log tells two sessions of one user apart
    # The districts under the caller's scope when that scope is a city, filled by the service's scope tree at
    # authentication (bihuan_shared.auth.scope_tree), never by the token: a city's reach is what the city registered.
    districts: frozenset[str] = frozenset()

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def primary_role(self) -> str:
        return sorted(self.roles)[0] if self.roles else ""

    def require_unit(self, *units: str | None, oversight: tuple[Role, ...] = (Role.TARGET_OFFICE,)) -> None:
        """Allow the caller if it belongs to one of the units, or holds an oversight role for the whole scope."""
        if self.has(*oversight):
            return
        if self.unit is None or self.unit not in units:
            raise Forbidden("无权操作其他单位的数据", code="unit_forbidden")

    def reaches(self, scope: str | None) -> bool:
        """Whether the caller may act in `scope`. Exactly its own: there is no wildcard and no default."""
        return self.scope is not None and scope == self.scope

    def reads(self, scope: str | None) -> bool:
        """Whether the caller may read `scope`: its own, or a district under its city. Writes stay `reaches`."""
        return self.reaches(scope) or (scope is not None and scope in self.districts)

    def require_scope(self, scope: str | None) -> None:
        if not self.reaches(scope):
            raise Forbidden("无权访问其他辖区的数据", code="scope_forbidden")

    def require_read_scope(self, scope: str | None) -> None:
        if not self.reads(scope):
            raise Forbidden("无权查看其他辖区的数据", code="scope_forbidden")
