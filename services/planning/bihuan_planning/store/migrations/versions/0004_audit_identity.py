"""audit identity: each audit record names its scope, token (jti) and sealing key (bihuan_shared.audit)

Revision ID: 0004
Revises: 0003
"""
from bihuan_shared.migrations import add_audit_identity, drop_audit_identity

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_audit_identity()


def downgrade() -> None:
    drop_audit_identity()
