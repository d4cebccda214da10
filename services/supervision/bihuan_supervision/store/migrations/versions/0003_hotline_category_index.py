"""hotline orders by category and time (a target's citizens' voice)

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_hotline_orders_category_received', 'hotline_orders', ['scope', 'category', 'received_at'])


def downgrade() -> None:
    op.drop_index('ix_hotline_orders_category_received', table_name='hotline_orders')
