"""append-only ledger: the database refuses UPDATE/DELETE of ledger entries, Merkle nodes
and signed tree heads (PostgreSQL trigger function + triggers, SQLite triggers)

Revision ID: 0014_append_only
Revises: 0012_partial_refunds
Create Date: 2026-12-04 23:00:00.000000

"""
from alembic import op

from webapp.models.registry_ddl import (
    APPEND_ONLY_TABLES,
    append_only_statements,
    drop_append_only_statements,
)


# revision identifiers, used by Alembic.
revision = '0014_append_only'
down_revision = '0012_partial_refunds'
branch_labels = None
depends_on = None


def upgrade():
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY_TABLES:
        for sql in append_only_statements(dialect, table):
            op.execute(sql)


def downgrade():
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY_TABLES:
        for sql in drop_append_only_statements(dialect, table):
            op.execute(sql)
    if dialect == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS registry_append_only()')
