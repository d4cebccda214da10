"""scope tree: the city → districts copy learnt from planning.scope.* events (bihuan_shared.scopes)

Revision ID: 0003
Revises: 0002
"""
from bihuan_shared.scopes import create_scope_tree_table, drop_scope_tree_table

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_scope_tree_table()


def downgrade() -> None:
    drop_scope_tree_table()
