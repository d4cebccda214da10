"""city assessment: a target fact keeps the city target it was placed from (origin_target_id), so a city scheme can
score a district's city-task completion from the district's linked targets

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('target_facts', sa.Column('origin_target_id', sa.String(length=32), nullable=True))
    op.create_index(op.f('ix_target_facts_origin_target_id'), 'target_facts', ['origin_target_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_target_facts_origin_target_id'), table_name='target_facts')
    op.drop_column('target_facts', 'origin_target_id')
