from pydantic_settings import SettingsConfigDict

from bihuan_shared.settings import ServiceSettings


class AssessmentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BIHUAN_ASSESSMENT_", extra="ignore")

    service_name: str = "assessment"
    http_port: int = 8104
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/bihuan_assessment"
    # Names this worker in run_groups (which worker wrote which group); defaults to host:pid.
    worker_name: str = ""
