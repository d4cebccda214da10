from bihuan_supervision.store.models import METADATA
from bihuan_shared.migrations import run_env

run_env(METADATA)
