from pydantic_settings import SettingsConfigDict

from bihuan_shared.settings import ServiceSettings


class PlanningSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BIHUAN_PLANNING_", extra="ignore")

    service_name: str = "planning"
    http_port: int = 8101
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/bihuan_planning"
