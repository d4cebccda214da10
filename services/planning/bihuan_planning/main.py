"""ASGI entry point: `uvicorn bihuan_planning.main:app --factory`-free; the launcher imports create_app()."""
from pathlib import Path

from fastapi import FastAPI

from bihuan_planning.api import routers
from bihuan_planning.settings import PlanningSettings
from bihuan_planning.store.directory_repo import districts_of
from bihuan_shared.auth.scope_tree import ScopeTree
from bihuan_shared.logging import configure_logging
from bihuan_shared.web.app import build_app

MIGRATIONS = Path(__file__).parent / "store" / "migrations"


async def _scope_tree(app: FastAPI) -> None:
    """Planning owns the scopes: a city's districts come from its own table."""
    async def load(city: str) -> frozenset[str]:
        async with app.state.sessionmaker() as session:
            return await districts_of(session, city)

    app.state.scope_tree = ScopeTree(load)


def create_app(settings: PlanningSettings | None = None) -> FastAPI:
    settings = settings or PlanningSettings()
    return build_app(settings, title="Bihuan 目标管理 · 立项 (planning)", routers=routers, on_startup=[_scope_tree])


def app() -> FastAPI:  # uvicorn --factory bihuan_planning.main:app
    settings = PlanningSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    return create_app(settings)
