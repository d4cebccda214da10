"""city tasks: a city target's shares per district, and the city task a district's target came from

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('targets', sa.Column('assignments', postgresql.JSONB(astext_type=sa.Text()), server_default='[]',
                                       nullable=False))
    op.add_column('targets', sa.Column('origin_target_id', sa.String(length=32), nullable=True))
    op.create_index(op.f('ix_targets_origin_target_id'), 'targets', ['origin_target_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_targets_origin_target_id'), table_name='targets')
    op.drop_column('targets', 'origin_target_id')
    op.drop_column('targets', 'assignments')
