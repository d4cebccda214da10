from bihuan_supervision.store.models import METADATA, load_all_tables
from bihuan_shared.migrations import run_env

load_all_tables()
run_env(METADATA)
