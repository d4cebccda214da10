"""ASGI entry point: `uvicorn bihuan_planning.main:app --factory`-free; the launcher imports create_app()."""
from pathlib import Path

from fastapi import FastAPI

from bihuan_planning.api import routers
from bihuan_planning.settings import PlanningSettings
from bihuan_shared.logging import configure_logging
from bihuan_shared.web.app import build_app

MIGRATIONS = Path(__file__).parent / "store" / "migrations"


def create_app(settings: PlanningSettings | None = None) -> FastAPI:
    settings = settings or PlanningSettings()
    return build_app(settings, title="Bihuan 目标管理 · 立项 (planning)", routers=routers)


def app() -> FastAPI:  # uvicorn --factory bihuan_planning.main:app
    settings = PlanningSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    return create_app(settings)
