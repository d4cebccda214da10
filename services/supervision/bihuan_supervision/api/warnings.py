"""The warning rules per scope, with the outgoing webhook's receiver and its signing secret (write-only); the inbox
itself is api/warning_inbox.py."""
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, HttpUrl, SecretStr, field_validator

from bihuan_shared.audit import record_audit
from bihuan_shared.auth import Principal, Role, require_roles
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import Invalid
from bihuan_supervision.events.webhook_address import Refused, Unresolved, parse, pin
from bihuan_supervision.store.warning_tables import WarningRules

router = APIRouter(prefix="/warnings", tags=["warnings"])

Supervisor = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR))]
OVERSIGHT = (Role.SUPERVISOR, Role.TARGET_OFFICE)
RulesReader = Annotated[Principal, Depends(require_roles(*OVERSIGHT, Role.LEADER))]


class Rules(BaseModel):
    yellow_days: int = Field(7, ge=0, le=60)
    trajectory_tolerance: float = Field(0.1, ge=0, le=1)
    lag_repeats: int = Field(2, ge=0, le=100)
    spike_factor: float = Field(2.0, ge=1, le=100)
    spike_min_orders: int = Field(20, ge=1)
    webhook_url: HttpUrl | None = None


class RulesIn(Rules):
    # Signs the webhook's deliveries (see FEEDS.md). Omitted or null: unchanged; "": cleared (the service's secret
    # signs instead). Never returned.
    webhook_secret: SecretStr | None = None

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _url_form(cls, value):
        """Scheme, credentials and length in the office's words; where it points is checked by the route (DNS)."""
        if isinstance(value, str):
            try:
                parse(value)
            except Refused as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_length(cls, value: SecretStr | None) -> SecretStr | None:
        n = len(value.get_secret_value()) if value is not None else 0
        if n and not 16 <= n <= 200:
            raise ValueError("webhook_secret 须为 16 至 200 个字符（空字符串表示清除）")
        return value


class RulesOut(Rules):
    webhook_secret_set: bool = False


def _out(row: WarningRules) -> RulesOut:
    return RulesOut(yellow_days=row.yellow_days, trajectory_tolerance=row.trajectory_tolerance,
                    lag_repeats=row.lag_repeats, spike_factor=row.spike_factor,
                    spike_min_orders=row.spike_min_orders, webhook_url=row.webhook_url,
                    webhook_secret_set=bool(row.webhook_secret))


@router.get("/rules")
async def get_rules(principal: RulesReader, session: SessionDep) -> RulesOut:
    """The warning rules of the caller's scope (defaults until set); the webhook secret only as set or not."""
    row = await session.get(WarningRules, principal.scope)
    return RulesOut() if row is None else _out(row)


async def _check_receiver(url: str | None, settings) -> None:
    """Issue 12 #7: refuse a receiver inside the service's network now, as the office sets it (deliveries check
    again, DNS answers change)."""
    if url is None:
        return
    try:
        await pin(url, settings)
    except (Refused, Unresolved) as exc:
        raise Invalid(str(exc), code="webhook_url_refused",
                      details=[{"field": "body.webhook_url", "message": str(exc)}]) from None


@router.put("/rules")
async def put_rules(body: RulesIn, request: Request, principal: Supervisor, session: SessionDep) -> RulesOut:
    """Set the warning rules of the caller's scope; they apply from the next reassessment (event or clock)."""
    scope = principal.scope
    values = body.model_dump(mode="json", exclude={"webhook_secret"})
    await _check_receiver(values["webhook_url"], request.app.state.settings)
    async with session.begin():
        row = await session.get(WarningRules, scope)
        before = None
        if row is None:
            row = WarningRules(scope=scope)
            session.add(row)
        else:
            before = {k: getattr(row, k) for k in values} | {"webhook_secret_set": bool(row.webhook_secret)}
        for k, v in values.items():
            setattr(row, k, v)
        if body.webhook_secret is not None:
            row.webhook_secret = body.webhook_secret.get_secret_value() or None
        row.updated_by = principal.user
        # the audit says that the secret changed, never what it is
        await record_audit(session, principal, "warnings.rules.set", "warning_rules", scope, before=before,
                           after=values | {"webhook_secret_set": bool(row.webhook_secret),
                                           "webhook_secret_changed": body.webhook_secret is not None})
    return _out(row)
