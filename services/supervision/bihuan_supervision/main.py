"""ASGI entry point (uvicorn --factory bihuan_supervision.main:app)."""
from pathlib import Path

from fastapi import FastAPI

from bihuan_supervision.api import routers
from bihuan_supervision.settings import SupervisionSettings
from bihuan_shared.logging import configure_logging
from bihuan_shared.scopes import install_scope_tree
from bihuan_shared.web.app import build_app

MIGRATIONS = Path(__file__).parent / "store" / "migrations"


def create_app(settings: SupervisionSettings | None = None) -> FastAPI:
    return build_app(settings or SupervisionSettings(), title="Bihuan 目标管理 · 督查 (supervision)", routers=routers,
                     on_startup=[install_scope_tree])


def app() -> FastAPI:
    settings = SupervisionSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    return create_app(settings)
