"""scope tree: the city → districts copy learnt from planning.scope.* events (bihuan_shared.scopes)

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
    op.create_table('scope_tree',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('parent', sa.String(length=64), nullable=True),
    sa.Column('event_seq', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_index(op.f('ix_scope_tree_parent'), 'scope_tree', ['parent'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_scope_tree_parent'), table_name='scope_tree')
    op.drop_table('scope_tree')
