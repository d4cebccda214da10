from pydantic_settings import SettingsConfigDict

from bihuan_shared.settings import ServiceSettings


class ExecutionSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BIHUAN_EXECUTION_", extra="ignore")

    service_name: str = "execution"
    http_port: int = 8102
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/bihuan_execution"
    due_soon_days: int = 7
