"""warning inbox read state per recipient, important matters seen from execution, orders about a matter

The inbox of a unit, a leader and the office remembers which warnings it has read; supervision keeps the important
matters execution announces so an order can be issued about one (and say which).

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('matter_views',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('target_id', sa.String(length=32), nullable=True),
    sa.Column('milestone_id', sa.String(length=32), nullable=True),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('to_leader', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_matter_views_scope'), 'matter_views', ['scope'], unique=False)
    op.create_table('warning_reads',
    sa.Column('warning_id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=140), nullable=False),
    sa.Column('read_by', sa.String(length=128), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['warning_id'], ['warnings.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('warning_id', 'recipient')
    )
    op.add_column('supervision_orders', sa.Column('matter_id', sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column('supervision_orders', 'matter_id')
    op.drop_table('warning_reads')
    op.drop_index(op.f('ix_matter_views_scope'), table_name='matter_views')
    op.drop_table('matter_views')
