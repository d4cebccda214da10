"""Who may register which scope: the two levels of the tree, city → districts.

A city office registers its city and the districts under it; a district office may register its own district
standing alone. A scope's kind and its city are fixed at registration: attaching a district to a city gives that
city's roles sight of everything in the district, so only the city, at the district's creation, may do it, and no
district can later be moved from one city to another by an API call."""
from dataclasses import dataclass
from typing import Literal

Kind = Literal["city", "district"]


@dataclass(frozen=True)
class ScopeFacts:
    code: str
    kind: str
    parent: str | None


@dataclass(frozen=True)
class Refusal:
    status: Literal["forbidden", "invalid", "conflict"]
    code: str
    field: str
    message: str


def registration_refusal(caller_scope: str, code: str, kind: Kind, parent: str | None,
                         existing: ScopeFacts | None, parent_scope: ScopeFacts | None) -> Refusal | None:
    """Why `caller_scope`'s target office may not save scope `code` as (kind, parent); None when it may."""
    if parent == code:
        return Refusal("invalid", "scope_parent_self", "parent", "辖区不能以自身为上级")
    if kind == "city" and parent is not None:
        return Refusal("invalid", "city_has_no_parent", "parent", "市级辖区没有上级辖区")
    if parent is not None:
        if parent_scope is None:
            return Refusal("invalid", "unknown_parent", "parent", f"上级辖区 {parent} 尚未登记")
        if parent_scope.kind != "city":
            return Refusal("invalid", "parent_not_city", "parent", f"上级辖区 {parent} 不是市级辖区")
    if existing is not None:
        if existing.kind != kind:
            return Refusal("conflict", "scope_kind_fixed", "kind", "辖区的层级在登记后不能更改")
        if existing.parent != parent:
            return Refusal("conflict", "scope_parent_fixed", "parent", "区的所属市在登记时确定，不能更改")
    # Who may: the scope itself, or the city it is (being) registered under.
    if caller_scope == code or (parent is not None and caller_scope == parent):
        if caller_scope == code and parent is not None and existing is None:
            return Refusal("forbidden", "district_registered_by_city", "parent",
                           f"区须由所属市 {parent} 的目标办登记；区目标办可登记不隶属于市的本区")
        return None
    return Refusal("forbidden", "scope_forbidden", "code", "只能登记本辖区或本市下属的区")
