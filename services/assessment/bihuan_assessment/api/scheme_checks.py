"""What a scheme's rules may name, checked against what assessment knows of the scope when a draft is saved: a
city's scheme assesses its registered districts, each in one group; a system's units are units the scheme assesses.
Every problem names its field (body.rules...), as the model's own validation does."""
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_assessment.api.evaluation_checks import scorable_units
from bihuan_assessment.domain.rules import SchemeRules
from bihuan_assessment.store.city import city_districts
from bihuan_shared.web.errors import Invalid

FIELD = "body.rules"


async def check_scheme_units(session: AsyncSession, scope: str, rules: SchemeRules) -> None:
    districts = await city_districts(session, scope)
    problems = _city(rules, districts) if districts is not None else []
    members = await scorable_units(session, scope, rules) if rules.systems else set()
    for i, system in enumerate(rules.systems):
        for j, unit in enumerate(system.units):
            if unit not in members:
                problems.append({"field": f"{FIELD}.systems.{i}.units.{j}",
                                 "message": f"系统「{system.name}」的 {unit} 不是本考核办法的考核对象（须在某个考核组中）"})
    if problems:
        raise Invalid("考核办法中的考核对象有误", code="scheme_units_invalid", details=problems)


def _city(rules: SchemeRules, districts: dict[str, str]) -> list[dict]:
    """A city's groups list its districts one by one: planning's assessment groups are units', not districts'."""
    problems, seen = [], {}
    for i, g in enumerate(rules.groups):
        at = f"{FIELD}.groups.{i}"
        if g.unit_groups:
            problems.append({"field": f"{at}.unit_groups", "message": "市级考核办法的考核组请在 units 中逐一列出区"})
        for j, code in enumerate(g.units):
            if code not in districts:
                problems.append({"field": f"{at}.units.{j}", "message": f"{code} 不是本市已登记的区"})
            elif code in seen:
                problems.append({"field": f"{at}.units.{j}", "message": f"{districts[code]}已在考核组「{seen[code]}」中"})
            else:
                seen[code] = g.name
        for k, c in enumerate(g.components):
            if c.kind == "target_completion":
                problems.append({"field": f"{at}.components.{k}.kind",
                                 "message": "市级考核办法按区的市级交办完成情况计分，请用 city_tasks"})
    return problems

