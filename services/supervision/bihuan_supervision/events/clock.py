"""The worker's clock: what happens because time passed, not because an event arrived (a milestone comes due, an
order's reply deadline passes, a closed period receives late data, today's hotline volume spikes). Each duty runs in
its own transaction and tolerates other worker copies (row locks, idempotent upserts); it returns the actions to run
after commit (webhook, dashboards)."""
import asyncio
import logging
import time
from datetime import timedelta
from typing import Awaitable, Callable

from sqlalchemy import select

from bihuan_shared.audit import record_audit
from bihuan_shared.auth import Principal, Role
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_supervision.events.notify import stage
from bihuan_supervision.store.feed_tables import UnitDayCounts, UnitMonthCounts
from bihuan_supervision.store.metric_tables import TopicTargetLink
from bihuan_supervision.store.metrics import close_period, publish_dirty
from bihuan_supervision.store.models import MilestoneView, TargetView
from bihuan_supervision.store.warnings import reassess_spikes, reassess_target, reassess_topic_spikes, today

log = logging.getLogger(__name__)
CLOCK = Principal(user="system:clock", roles=frozenset({Role.SUPERVISOR}))  # who the audit log names for the clock

Duty = Callable[[AsyncSession, object], Awaitable[list | None]]
# how far ahead the clock looks for milestones coming due (the largest yellow_days any scope may set)
HORIZON_DAYS = 60


def clock_task(duties: list[Duty]):
    async def task(runtime, stop: asyncio.Event) -> None:
        resources = {"redis": runtime.redis, "settings": runtime.settings, "sessionmaker": runtime.sessionmaker}
        while not stop.is_set():
            for duty in duties:
                try:
                    async with runtime.sessionmaker() as session, session.begin():
                        after = await duty(session, resources) or []
                    for action in after:
                        await action()
                except Exception:
                    log.exception("clock duty failed", extra={"duty": duty.__name__})
            try:
                await asyncio.wait_for(stop.wait(), timeout=runtime.settings.clock_seconds)
            except asyncio.TimeoutError:
                pass

    return task


async def escalate_orders(session: AsyncSession, resources: dict) -> list:
    from bihuan_supervision.store.orders import escalate_overdue

    return await escalate_overdue(session, resources, clock_today(resources))


def clock_today(resources: dict):
    """Today for the clock; a drill (or a test) may run it days ahead with settings.clock_shift_days."""
    return today() + timedelta(days=getattr(resources.get("settings"), "clock_shift_days", 0))


async def close_ended_periods(session: AsyncSession, resources: dict) -> None:
    """N days after a month ends, close it (and its quarter and year when they end with it) in every scope with
    data: the metrics go to assessment without anyone having to remember. 0 days disables the clock's closing."""
    days = getattr(resources["settings"], "metrics_close_after_days", 0)
    day = clock_today(resources)
    if days <= 0 or day.day <= days:
        return
    last = (day.replace(day=1) - timedelta(days=1)).replace(day=1)
    periods = [last.strftime("%Y-%m")]
    if last.month % 3 == 0:
        periods.append(f"{last.year}-Q{last.month // 3}")
    if last.month == 12:
        periods.append(str(last.year))
    scopes = (await session.scalars(
        select(UnitMonthCounts.scope).distinct().where(UnitMonthCounts.month == last))).all()
    for scope in scopes:
        for period in periods:
            published = await close_period(session, scope, period, CLOCK.user)
            if published is not None:
                await record_audit(session, CLOCK, "metrics.period.closed", "period", f"{scope}:{period}",
                                   after={"published": published})


async def refresh_live_dashboards(session: AsyncSession, resources: dict) -> list:
    """Dashboards someone has opened are rebuilt on every tick too: the hotline signal and the colours that change
    with the date (a milestone coming due) stay fresh without an event."""
    from bihuan_supervision.dashboard.views import refresh

    prefix = f"{resources['settings'].redis_prefix}:supervision:dashboard:"
    leaders: dict[str, set[str]] = {}
    async for key in resources["redis"].scan_iter(match=prefix + "*:leader:*", count=500):
        scope, _, leader = key.decode()[len(prefix):].partition(":leader:")
        if leader and not leader.endswith(":changed"):
            leaders.setdefault(scope, set()).add(leader)
    return [lambda scope=scope, names=names: refresh(resources, scope, names) for scope, names in leaders.items()]


async def republish_late_metrics(session: AsyncSession, resources: dict) -> None:
    await publish_dirty(session)


async def warn_on_time(session: AsyncSession, resources: dict) -> list:
    """Milestones coming due or past due without an event saying so: reassess their targets. Events keep warnings
    current in between, so this scan runs every warning_scan_seconds, not on every tick."""
    now = time.monotonic()
    if now - resources.get("last_warning_scan", -1e9) < resources["settings"].warning_scan_seconds:
        return []
    resources["last_warning_scan"] = now
    day = clock_today(resources)
    ids = (await session.scalars(
        select(MilestoneView.target_id).distinct().join(TargetView, TargetView.id == MilestoneView.target_id)
        .where(MilestoneView.completed_on.is_(None), ~TargetView.cancelled,
               MilestoneView.due_date <= day + timedelta(days=HORIZON_DAYS)))).all()
    after: list = []
    for target_id in ids:
        view = await session.get(TargetView, target_id)
        await stage(session, view.scope, await reassess_target(session, target_id, day), resources=resources,
                    after=after)
    return after


async def warn_on_spikes(session: AsyncSession, resources: dict) -> list:
    day = clock_today(resources)
    scopes = (await session.scalars(select(UnitDayCounts.scope).distinct().where(
        UnitDayCounts.day >= day - timedelta(days=1)))).all()
    after: list = []
    for scope in scopes:
        await stage(session, scope, await reassess_spikes(session, scope, day), resources=resources, after=after)
    # every scope with linked categories, data today or not: yesterday's topic spike is cleared on a quiet day too
    for scope in (await session.scalars(select(TopicTargetLink.scope).distinct())).all():
        await stage(session, scope, await reassess_topic_spikes(session, scope, day), resources=resources,
                    after=after)
    return after
