from pydantic_settings import SettingsConfigDict

from bihuan_shared.settings import ServiceSettings


class SupervisionSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BIHUAN_SUPERVISION_", extra="ignore")

    service_name: str = "supervision"
    http_port: int = 8103
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/bihuan_supervision"
