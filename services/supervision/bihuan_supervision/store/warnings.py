"""Keeping the open warnings equal to what the rules want: raise the missing ones, clear the ones no longer wanted.
Returns the events to publish; the caller emits them in its transaction."""
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Date, Row, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_shared.contracts.supervision import WarningCleared, WarningRaised
from bihuan_supervision.domain.feeds.common import CST
from bihuan_supervision.domain.warnings import (MilestoneState, Rules, TargetState, Wanted, day_window, is_spike,
                                                wanted_for_target)
from bihuan_supervision.store.feed_tables import HotlineOrder, UnitDayCounts
from bihuan_supervision.store.metric_tables import TopicTargetLink
from bihuan_supervision.store.models import MilestoneView, TargetView
from bihuan_supervision.store.warning_tables import LagSeen, Warning, WarningRules
from bihuan_shared.clock import today as city_today

TARGET_KINDS = ("due_soon", "overdue", "behind_trajectory", "repeated_lags")
TOPIC_SPIKE = "hotline_topic_spike"
_TARGETS, _MILESTONES = TargetView.__table__, MilestoneView.__table__


def today() -> date:
    return city_today("supervision")


async def rules_for(session: AsyncSession, scope: str) -> tuple[Rules, str | None]:
    row = await session.get(WarningRules, scope)
    return (Rules(), None) if row is None else (_rules(row), row.webhook_url)


def _rules(row: WarningRules) -> Rules:
    return Rules(row.yellow_days, row.trajectory_tolerance, row.lag_repeats, row.spike_factor, row.spike_min_orders)


async def reassess_target(session: AsyncSession, target_id: str, day: date | None = None) -> list:
    found = await reassess_targets(session, [target_id], day)
    return found[target_id][1] if target_id in found else []


async def reassess_targets(session: AsyncSession, target_ids: list[str], day: date | None = None
                           ) -> dict[str, tuple[Row, list]]:
    """The warnings of many targets (all those a consumer batch touched) in a fixed number of queries: their views,
    their scopes' rules, lag counts, milestones and open warnings (locked) for all at once, and one flush for the
    new rows. Returns {target id: (view, events)} for the targets the read model knows."""
    await session.flush()  # milestones and lags added in this transaction count too
    ids = sorted(set(target_ids))
    # plain rows for the read model (read only here; building ORM objects for them was most of the cost)
    views = (await session.execute(select(_TARGETS).where(_TARGETS.c.id.in_(ids)))).all()
    if not views:
        return {}
    rules = {row.scope: _rules(row) for row in (await session.scalars(select(WarningRules).where(
        WarningRules.scope.in_({v.scope for v in views})))).all()}
    lags = dict((await session.execute(select(LagSeen.target_id, func.count()).where(LagSeen.target_id.in_(ids))
                                       .group_by(LagSeen.target_id))).all())
    milestones = _by_target(await session.execute(select(_MILESTONES).where(_MILESTONES.c.target_id.in_(ids))))
    open_rows = _by_target(await session.scalars(select(Warning).where(
        Warning.target_id.in_(ids), Warning.status == "open", Warning.kind.in_(TARGET_KINDS))
        .order_by(Warning.id).with_for_update()))
    day, now, planned = day or today(), datetime.now(UTC), {}
    for v in views:
        wanted = wanted_for_target(_state(v, milestones.get(v.id, []), lags.get(v.id, 0)), day,
                                   rules.get(v.scope, Rules()))
        planned[v.id] = (v, *_diff(session, v.scope, [w for w in open_rows.get(v.id, []) if w.scope == v.scope],
                                   wanted, "目标已取消" if v.cancelled else "条件已解除",
                                   dict(target_id=v.id, unit=v.lead_unit, leader=v.leader), now))
    await session.flush()  # ids for the new warnings
    return {tid: (v, cleared + _raised(rows)) for tid, (v, cleared, rows) in planned.items()}


def _by_target(rows) -> dict[str, list]:
    out: dict[str, list] = {}
    for row in rows:
        out.setdefault(row.target_id, []).append(row)
    return out


def _state(view: Row, milestones: list[Row], lags: int) -> TargetState:
    return TargetState(view.id, view.title, view.lead_unit, view.leader, view.indicator_kind == "quantitative",
                       view.direction or "up", view.cancelled,
                       [MilestoneState(m.id, m.due_date, m.expected_value, m.completed_on is not None,
                                       m.status == "overdue", m.latest_value, m.last_reported_at)
                        for m in milestones], lags, view.year)


async def reassess_spikes(session: AsyncSession, scope: str, day: date | None = None) -> list:
    day = day or today()
    rules, _ = await rules_for(session, scope)
    rows = (await session.execute(select(UnitDayCounts.unit, UnitDayCounts.day, UnitDayCounts.records).where(
        UnitDayCounts.scope == scope, UnitDayCounts.source == "hotline",
        UnitDayCounts.day.between(day - timedelta(days=7), day)))).all()
    per_unit: dict[str, dict[date, int]] = {}
    for unit, d, n in rows:
        per_unit.setdefault(unit, {})[d] = n
    events = []
    open_rows = {w.subject: w for w in (await session.scalars(select(Warning).where(
        Warning.scope == scope, Warning.kind == "hotline_spike", Warning.status == "open").with_for_update())).all()}
    for unit in set(per_unit) | set(open_rows):
        count, previous = day_window(per_unit.get(unit, {}), day)
        wanted = []
        if is_spike(count, previous, rules):
            wanted = [Wanted("hotline_spike", "yellow", unit, f"{unit} 今日热线工单 {count} 件，明显高于近 7 日均值")]
        existing = [open_rows[unit]] if unit in open_rows else []
        events += await _sync(session, scope, existing, wanted, "工单量已回落", dict(unit=unit))
    return events


async def reassess_topic_spikes(session: AsyncSession, scope: str, day: date | None = None) -> list:
    """A hotline category linked to a target spikes: the warning goes to the target (its page, its lead unit, its
    leader), one per (target, category), so a category linked to two targets warns both."""
    day = day or today()
    rules, _ = await rules_for(session, scope)
    links = {(r.target_id, r.topic): r for r in (await session.execute(
        select(TopicTargetLink.topic, TargetView.id.label("target_id"), TargetView.title, TargetView.lead_unit,
               TargetView.leader, TargetView.cancelled).join(TargetView, TargetView.id == TopicTargetLink.target_id)
        .where(TopicTargetLink.scope == scope, TopicTargetLink.source == "hotline"))).all()}
    per_topic = await _orders_per_topic_day(session, scope, {topic for _, topic in links}, day)
    open_rows = {w.subject: w for w in (await session.scalars(select(Warning).where(
        Warning.scope == scope, Warning.kind == TOPIC_SPIKE, Warning.status == "open").with_for_update())).all()}
    events = []
    for key in set(links) | {_topic_key(w) for w in open_rows.values()}:
        link, subject = links.get(key), f"{key[0]}:{key[1]}"
        count, previous = day_window(per_topic.get(key[1], {}), day)
        wanted = []
        if link is not None and not link.cancelled and is_spike(count, previous, rules):
            wanted = [Wanted(TOPIC_SPIKE, "yellow", subject, f"「{link.title}」关联的热线话题「{link.topic}」今日工单 "
                             f"{count} 件，明显高于近 7 日日均 {sum(previous) / 7:.1f} 件")]
        reason = "话题已不再关联该目标" if link is None else "目标已取消" if link.cancelled else "话题工单量已回落"
        existing = [open_rows[subject]] if subject in open_rows else []
        about = {} if link is None else dict(target_id=link.target_id, unit=link.lead_unit, leader=link.leader)
        events += await _sync(session, scope, existing, wanted, reason, about)
    return events


def _topic_key(w: Warning) -> tuple[str, str]:
    target_id, _, topic = w.subject.partition(":")  # subject is "<target id>:<category>"; ids have no colon
    return target_id, topic


async def _orders_per_topic_day(session: AsyncSession, scope: str, topics: set[str], day: date
                                ) -> dict[str, dict[date, int]]:
    """Work orders per category and local day over the 8 days ending with `day`, counted from the orders themselves
    through the (scope, category, received_at) index."""
    if not topics:
        return {}
    local_day = cast(func.timezone("Asia/Shanghai", HotlineOrder.received_at), Date)
    rows = await session.execute(select(HotlineOrder.category, local_day, func.count()).where(
        HotlineOrder.scope == scope, HotlineOrder.category.in_(topics),
        HotlineOrder.received_at >= datetime.combine(day - timedelta(days=7), time(), CST),
        HotlineOrder.received_at < datetime.combine(day + timedelta(days=1), time(), CST))
        .group_by(HotlineOrder.category, local_day))
    out: dict[str, dict[date, int]] = {}
    for topic, d, n in rows:
        out.setdefault(topic, {})[d] = n
    return out


async def _sync(session: AsyncSession, scope: str, open_rows: list[Warning], wanted: list[Wanted], reason: str,
                about: dict) -> list:
    cleared, rows = _diff(session, scope, open_rows, wanted, reason, about, datetime.now(UTC))
    if rows:
        await session.flush()
    return cleared + _raised(rows)


def _diff(session: AsyncSession, scope: str, open_rows: list[Warning], wanted: list[Wanted], reason: str,
          about: dict, now: datetime) -> tuple[list, list[Warning]]:
    """Clear the open warnings no longer wanted (returning their events) and add a row for each wanted one not open
    yet (returned: their events need the ids the next flush gives them)."""
    want = {(w.kind, w.subject): w for w in wanted}
    have = {(w.kind, w.subject): w for w in open_rows}
    cleared = []
    for key, row in have.items():
        if key not in want:
            row.status, row.cleared_at, row.cleared_reason = "cleared", now, reason
            cleared.append(WarningCleared(warning_id=row.id, kind=row.kind, subject=row.subject,
                                          target_id=row.target_id, unit=row.unit, leader=row.leader,
                                          reason=reason, cleared_at=now))
    rows = [Warning(scope=scope, kind=w.kind, level=w.level, subject=w.subject, milestone_id=w.milestone_id,
                    message=w.message, status="open", raised_at=now, detail={}, **about)
            for key, w in want.items() if key not in have]
    session.add_all(rows)
    return cleared, rows


def _raised(rows: list[Warning]) -> list[WarningRaised]:
    return [WarningRaised(warning_id=r.id, kind=r.kind, level=r.level, subject=r.subject, target_id=r.target_id,
                          milestone_id=r.milestone_id, unit=r.unit, leader=r.leader, message=r.message,
                          raised_at=r.raised_at) for r in rows]
