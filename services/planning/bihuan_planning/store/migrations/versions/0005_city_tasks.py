"""city tasks: a city target's shares per district, and the district targets they placed

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
    op.add_column('targets', sa.Column('origin_target_id', sa.String(length=32), nullable=True))
    op.create_index(op.f('ix_targets_origin_target_id'), 'targets', ['origin_target_id'], unique=False)
    op.create_table('city_assignments',
                    sa.Column('city_target_id', sa.String(length=32), nullable=False),
                    sa.Column('district', sa.String(length=64), nullable=False),
                    sa.Column('share_value', sa.Float(), nullable=True),
                    sa.Column('deliverable', sa.Text(), nullable=True),
                    sa.Column('milestones', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
                    sa.Column('district_target_id', sa.String(length=32), nullable=True),
                    sa.Column('assigned_by', sa.String(length=200), nullable=False),
                    sa.Column('assigned_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                              nullable=False),
                    sa.ForeignKeyConstraint(['city_target_id'], ['targets.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('city_target_id', 'district'))


def downgrade() -> None:
    op.drop_table('city_assignments')
    op.drop_index(op.f('ix_targets_origin_target_id'), table_name='targets')
    op.drop_column('targets', 'origin_target_id')
