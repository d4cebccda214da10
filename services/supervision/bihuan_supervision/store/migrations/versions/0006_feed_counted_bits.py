"""feed records keep which counters they count in as one integer of bits, not an array of ten integers

A record counts 0 or 1 in each counter, so a bit per counter says the same in 4 bytes instead of about 64, and
costs the ingest path no array to encode or unpack (the feeds hold millions of rows a year).

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

TABLES = ('hotline_orders', 'window_ratings', 'center_cases')
COUNTERS = 10


def upgrade() -> None:
    bits = " | ".join(f"(coalesce(contrib[{i + 1}], 0) << {i})" for i in range(COUNTERS))
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ADD COLUMN counted integer NOT NULL DEFAULT 0")
        op.execute(f"UPDATE {table} SET counted = {bits}")
        op.execute(f"ALTER TABLE {table} ALTER COLUMN counted DROP DEFAULT, DROP COLUMN contrib")


def downgrade() -> None:
    array = ", ".join(f"(counted >> {i}) & 1" for i in range(COUNTERS))
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ADD COLUMN contrib integer[]")
        op.execute(f"UPDATE {table} SET contrib = ARRAY[{array}]")
        op.execute(f"ALTER TABLE {table} DROP COLUMN counted")
