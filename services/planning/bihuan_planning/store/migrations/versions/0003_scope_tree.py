"""scope tree: districts are found by their city, and scope changes are events with a sequence

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('scopes', sa.Column('event_seq', sa.Integer(), server_default='0', nullable=False))
    op.create_index(op.f('ix_scopes_parent'), 'scopes', ['parent'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_scopes_parent'), table_name='scopes')
    op.drop_column('scopes', 'event_seq')
