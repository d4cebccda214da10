from bihuan_assessment.store.models import METADATA
from bihuan_shared.migrations import run_env

run_env(METADATA)
