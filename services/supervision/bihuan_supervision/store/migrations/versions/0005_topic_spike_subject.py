"""a warning's subject holds "<target id>:<hotline category>" for a topic spike (categories are up to 200 chars)

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
    # widening a varchar only changes the catalogue: no table rewrite, the open-warning index stays valid
    op.alter_column('warnings', 'subject', type_=sa.String(length=240), existing_type=sa.String(length=100),
                    existing_nullable=False)


def downgrade() -> None:
    op.alter_column('warnings', 'subject', type_=sa.String(length=100), existing_type=sa.String(length=240),
                    existing_nullable=False)
