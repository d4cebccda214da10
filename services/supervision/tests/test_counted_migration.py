"""Migration 0006 turns each feed record's array of ten 0/1 counts into one integer of bits, and back, without
changing what any record counts in (the running sums are built from them)."""
import asyncio

import asyncpg
import pytest
from alembic import command

from bihuan_shared.db import asyncpg_dsn
from bihuan_shared.migrations import alembic_config
from bihuan_supervision.main import MIGRATIONS

pytestmark = pytest.mark.asyncio(loop_scope="session")

COUNTS = [1, 1, 0, 1, 1, 0, 1, 1, 0, 0]
BITS = sum(c << i for i, c in enumerate(COUNTS))


async def test_counts_survive_the_move_to_bits_and_back(make_database):
    url = await make_database("counted_migration")
    cfg = alembic_config(MIGRATIONS, url)
    await asyncio.to_thread(command.upgrade, cfg, "0005")
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        batch = await conn.fetchval("INSERT INTO feed_batches (scope, source, via, actor, records, stored, updated,"
                                    " unchanged, rejected) VALUES ('demo', 'hotline', 'http', 't', 1, 1, 0, 0, 0)"
                                    " RETURNING id")
        await conn.execute(
            "INSERT INTO hotline_orders (scope, order_id, version, received_at, category, status, status_history,"
            " batch_id, metric_month, metric_day, contrib) VALUES ('demo', 'M-1', 1, now(), '河道违建', '办结', '[]',"
            " $1, '2026-03-01', '2026-03-02', $2)", batch, COUNTS)
        await asyncio.to_thread(command.upgrade, cfg, "head")
        assert await conn.fetchval("SELECT counted FROM hotline_orders WHERE order_id = 'M-1'") == BITS
        await asyncio.to_thread(command.downgrade, cfg, "0005")
        assert await conn.fetchval("SELECT contrib FROM hotline_orders WHERE order_id = 'M-1'") == COUNTS
    finally:
        await conn.close()
