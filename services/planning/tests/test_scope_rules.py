"""The scope tree's registration rules, as pure functions (no servers)."""
import pytest

from bihuan_planning.domain.scopes import ScopeFacts, registration_refusal

CITY = ScopeFacts("qd", "city", None)
OTHER_CITY = ScopeFacts("lyg", "city", None)
DISTRICT = ScopeFacts("qd-hd", "district", "qd")


def refusal(caller, code, kind, parent=None, existing=None, parent_scope=None):
    found = registration_refusal(caller, code, kind, parent, existing, parent_scope)
    return found and found.code


def test_a_city_registers_itself_and_its_districts():
    assert refusal("qd", "qd", "city") is None
    assert refusal("qd", "qd-hd", "district", "qd", parent_scope=CITY) is None
    assert refusal("qd", "qd-hd", "district", "qd", existing=DISTRICT, parent_scope=CITY) is None  # rename


def test_a_district_office_registers_only_its_own_standalone_district():
    assert refusal("demo", "demo", "district") is None
    assert refusal("qd-new", "qd-new", "district", "qd", parent_scope=CITY) == "district_registered_by_city"
    assert refusal("qd-hd", "qd-hd", "district", "qd", existing=DISTRICT, parent_scope=CITY) is None  # rename


@pytest.mark.parametrize("caller,code,kind,parent,existing,parent_scope,expected", [
    ("lyg", "qd-x", "district", "qd", None, CITY, "scope_forbidden"),        # another city's district
    ("lyg", "qd", "city", None, None, None, "scope_forbidden"),              # another city
    ("qd", "qd-x", "district", "lyg", None, OTHER_CITY, "scope_forbidden"),  # under another city
    ("qd", "qd-x", "district", "qd-x", None, None, "scope_parent_self"),
    ("qd", "qd", "city", "sd", None, None, "city_has_no_parent"),
    ("qd", "qd-x", "district", "nowhere", None, None, "unknown_parent"),
    ("qd-hd", "qd-hd-1", "district", "qd-hd", None, DISTRICT, "parent_not_city"),
    ("qd", "qd-hd", "city", None, DISTRICT, None, "scope_kind_fixed"),
    ("lyg", "qd-hd", "district", "lyg", DISTRICT, OTHER_CITY, "scope_parent_fixed"),  # no adopting another's
    ("demo", "demo", "district", "qd", ScopeFacts("demo", "district", None), CITY, "scope_parent_fixed"),
])
def test_refusals(caller, code, kind, parent, existing, parent_scope, expected):
    assert refusal(caller, code, kind, parent, existing, parent_scope) == expected
