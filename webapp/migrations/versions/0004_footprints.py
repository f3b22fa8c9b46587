"""footprint calculations: stored household and event results with their inputs

Revision ID: 0004_footprints
Revises: 0003_registry_indexes
Create Date: 2026-11-21 20:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import webapp.models.base


# revision identifiers, used by Alembic.
revision = '0004_footprints'
down_revision = "0003_registry_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('footprint_calculations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('household', 'event', name='calculationkind', native_enum=False, length=16), nullable=False),
    sa.Column('factor_set', sa.String(length=32), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('total_g', sa.BigInteger(), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=True),
    sa.Column('created_at', webapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('total_g >= 0', name=op.f('ck_footprint_calculations_total_non_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_footprint_calculations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_footprint_calculations')),
    sa.UniqueConstraint('token', name=op.f('uq_footprint_calculations_token'))
    )
    with op.batch_alter_table('footprint_calculations', schema=None) as batch_op:
        batch_op.create_index('ix_footprint_calculations_user_created', ['user_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('footprint_calculations', schema=None) as batch_op:
        batch_op.drop_index('ix_footprint_calculations_user_created')

    op.drop_table('footprint_calculations')
