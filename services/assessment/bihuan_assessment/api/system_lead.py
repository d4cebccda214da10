"""Systems (Lianyungang's 县区 / 市直部门 / 驻连单位): a system's lead unit (系统牵头单位) rates the units of its system
and only those. The lead unit is the caller's unit on a unit_reporter's or leader's token; the office (assessor,
target office) entering paper ballots is not a lead unit and is not limited to a system."""
from bihuan_assessment.api.evaluation_checks import OFFICE
from bihuan_assessment.domain.rules import SchemeRules
from bihuan_shared.auth import Principal
from bihuan_shared.web.errors import Forbidden


def require_own_system(principal: Principal, rules: SchemeRules | None, rows: list[tuple[int, object]]) -> None:
    """rows: (index, row) of kind "system". Refuses the whole batch (403) when the caller leads no system or a row
    rates a unit outside the systems it leads: a lead unit that could rate anyone would be a second committee."""
    if principal.has(*OFFICE) or not rows:
        return
    led = rules.systems_led_by(principal.unit) if rules is not None else []
    if not led:
        raise Forbidden(f"{principal.unit or '本单位'} 不是本年度考核办法中任何系统的牵头单位，不能录入系统评价",
                        code="not_system_lead",
                        details=[{"field": f"items.{i}.kind", "message": "仅系统牵头单位可录入系统评价"} for i, _ in rows])
    names = "、".join(f"「{s.name}」" for s in led)
    members = {u for s in led for u in s.units}
    outside = [(i, row) for i, row in rows if row.unit not in members]
    if outside:
        units = "、".join(dict.fromkeys(row.unit for _, row in outside))
        raise Forbidden(f"{units} 不属于{names}系统：系统牵头单位只能评价本系统的单位", code="system_forbidden",
                        details=[{"field": f"items.{i}.unit", "message": f"{row.unit} 不属于{names}系统"}
                                 for i, row in outside])
