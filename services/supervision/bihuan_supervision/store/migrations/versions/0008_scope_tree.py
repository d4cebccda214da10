"""scope tree: the city → districts copy learnt from planning.scope.* events (bihuan_shared.scopes)

Revision ID: 0008
Revises: 0007
"""
from bihuan_shared.scopes import create_scope_tree_table, drop_scope_tree_table

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_scope_tree_table()


def downgrade() -> None:
    drop_scope_tree_table()
