"""session ids: a per-user identifier that session and remember-me cookies carry, rotated
to revoke them

Revision ID: 0015_session_ids
Revises: 0014_append_only
Create Date: 2026-12-04 23:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_session_ids'
down_revision = '0014_append_only'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_id', sa.String(length=32), nullable=True))
    # Every existing user gets a random id (their current cookies, which name the row id,
    # stop working: everyone logs in once more).
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE users SET session_id = md5(random()::text || clock_timestamp()::text || id::text)")
    else:
        op.execute("UPDATE users SET session_id = lower(hex(randomblob(16)))")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('session_id', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_users_session_id'), ['session_id'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_session_id'), type_='unique')
        batch_op.drop_column('session_id')
