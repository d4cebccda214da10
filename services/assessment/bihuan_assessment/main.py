"""ASGI entry point (uvicorn --factory bihuan_assessment.main:app)."""
from pathlib import Path

from fastapi import FastAPI

from bihuan_assessment.api import routers
from bihuan_assessment.settings import AssessmentSettings
from bihuan_shared.logging import configure_logging
from bihuan_shared.scopes import install_scope_tree
from bihuan_shared.web.app import build_app

MIGRATIONS = Path(__file__).parent / "store" / "migrations"


def create_app(settings: AssessmentSettings | None = None) -> FastAPI:
    return build_app(settings or AssessmentSettings(), title="Bihuan 目标管理 · 考核 (assessment)", routers=routers,
                     on_startup=[install_scope_tree])


def app() -> FastAPI:
    settings = AssessmentSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    return create_app(settings)
