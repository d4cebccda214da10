"""Leader dashboards as Redis-backed views (filled in by the dashboard slice)."""


async def refresh(resources: dict, scope: str, leaders: set[str]) -> None:
    return None
