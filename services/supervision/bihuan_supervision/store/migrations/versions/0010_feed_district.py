"""service-window ratings and three-center cases keep the district their record names, as hotline orders do

A city-wide feed routes each record to the district it names; the record keeps what it said.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

TABLES = ('window_ratings', 'center_cases')


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column('district', sa.String(length=200), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, 'district')
