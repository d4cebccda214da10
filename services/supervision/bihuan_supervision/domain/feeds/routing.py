"""Where a feed identity's records go, by the district each one names.

A district's feed stores every record in its own district; a record naming another registered scope is refused (it
belongs to someone else's books), an empty district field is the feed's own. A city's feed (the hotline center
sends one stream for the whole city) stores each record in the district it names, by code or registered name, as if
that district's own feed had sent it; a record naming no district, or one not registered under the city, is refused
by index and field, and the rest of the batch is stored. Routes are built from the service's copy of the scope tree
(store/feed_routes.py), never from the record or the token."""
from collections.abc import Mapping
from dataclasses import dataclass, field

FIELD = "district"


@dataclass(frozen=True)
class Routes:
    home: str                     # the feed identity's scope: a city or a district
    city: bool = False
    to: Mapping[str, str] = field(default_factory=dict)  # a city's district code or name -> the district's code
    foreign: frozenset[str] = frozenset()  # a district feed: codes and names of every other registered scope

    def scope_of(self, district: str | None) -> str | None:
        """The scope the record is stored in, or None when it is refused (see refusal)."""
        if self.city:
            return self.to.get(district)  # type: ignore[arg-type]  # None is never a key
        return None if district in self.foreign else self.home

    def refusal(self, district: str | None) -> str:
        if self.city and district is None:
            return "市级数据接入须注明记录所属的区（district：区编码或名称）"
        if self.city:
            return f"“{district}”不是本市已登记的区，请填写区编码或名称"
        return f"“{district}”属于其他辖区，本接入身份只能报送本辖区的数据"
