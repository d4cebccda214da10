"""From a verified token's claims to a Principal: every claim the product reads is required or typed.

A claim of the wrong type (a number or a list where a code belongs) is a bad token (401), not a crash, and a
missing `roles` or `scope` is refused outright, so no identity provider can make a user city-wide by leaving one out.
Codes follow the directory's rule (letters, digits, `_ . -`, at most 64), which also rules out the old `*`."""
import re
from typing import Any

from bihuan_shared.auth.principal import Principal, Role
from bihuan_shared.web.errors import Unauthorized

CODE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
MAX_ROLES = 16
MAX_TEXT = 256


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    user = _text(claims, "sub", required=True)
    roles = _roles(claims.get("roles"))
    scope = _code(claims, "scope", required=True)
    unit = _code(claims, "unit", required=False)
    name = _text(claims, "name", required=False)
    token_id = _text(claims, "jti", required=False)
    return Principal(user=user, name=name, roles=roles, unit=unit, scope=scope, token_id=token_id)


def _refuse(claim: str, why: str) -> Unauthorized:
    return Unauthorized(f"令牌声明 {claim} 无效：{why}", code="token_claim_invalid",
                        details=[{"field": f"token.{claim}", "message": why}])


def _text(claims: dict[str, Any], claim: str, *, required: bool) -> str | None:
    value = claims.get(claim)
    if value is None:
        if required:
            raise _refuse(claim, "缺少此声明")
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise _refuse(claim, f"须为不超过 {MAX_TEXT} 字的非空文本")
    return value


def _code(claims: dict[str, Any], claim: str, *, required: bool) -> str | None:
    value = claims.get(claim)
    if value is None:
        if required:
            raise _refuse(claim, "缺少此声明：令牌须指明辖区，不存在默认的全域令牌")
        return None
    if not isinstance(value, str) or not CODE.fullmatch(value):
        raise _refuse(claim, "须为编码（字母、数字、下划线、点和连字符，最长 64 位），不接受通配符")
    return value


def _roles(value: Any) -> frozenset[Role]:
    if value is None:
        raise _refuse("roles", "缺少此声明")
    if not isinstance(value, list) or not value or len(value) > MAX_ROLES:
        raise _refuse("roles", f"须为 1 到 {MAX_ROLES} 个角色的列表")
    known = {r.value for r in Role}
    unknown = [r for r in value if not isinstance(r, str) or r not in known]
    if unknown:
        raise _refuse("roles", f"未知角色 {unknown[:3]!r}，可选: {', '.join(sorted(known))}")
    return frozenset(Role(r) for r in value)
