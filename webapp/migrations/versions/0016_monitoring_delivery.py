"""monitoring periods and verification (计量监测、核证); delivery allocations settle projected
retirements

Revision ID: 0016_monitoring_delivery
Revises: 0015_session_ids
Create Date: 2026-12-05 03:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import webapp.models.base


# revision identifiers, used by Alembic.
revision = '0016_monitoring_delivery'
down_revision = '0015_session_ids'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'monitoring_periods',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('method', sa.String(length=200), nullable=False),
        sa.Column('area_ha', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('status', sa.Enum('recorded', 'verification_pending', 'verified', name='monitoringstatus', native_enum=False, length=24), nullable=False),
        sa.Column('report_key', sa.String(length=120), nullable=False),
        sa.Column('report_sha256', sa.String(length=64), nullable=False),
        sa.Column('report_bytes', sa.Integer(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', webapp.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('verifier', sa.String(length=160), nullable=True),
        sa.Column('verified_kg', sa.BigInteger(), nullable=True),
        sa.Column('price_per_tonne', sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column('statement_key', sa.String(length=120), nullable=True),
        sa.Column('statement_sha256', sa.String(length=64), nullable=True),
        sa.Column('statement_bytes', sa.Integer(), nullable=True),
        sa.Column('verification_recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('verification_recorded_at', webapp.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('verification_approved_by_id', sa.Integer(), nullable=True),
        sa.Column('approved_at', webapp.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('issuance_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('period_end >= period_start', name=op.f('ck_monitoring_periods_period_order')),
        sa.CheckConstraint('area_ha > 0', name=op.f('ck_monitoring_periods_area_positive')),
        sa.CheckConstraint('verified_kg IS NULL OR verified_kg > 0', name=op.f('ck_monitoring_periods_verified_positive')),
        sa.CheckConstraint('verification_approved_by_id IS NULL OR verification_approved_by_id <> verification_recorded_by_id', name=op.f('ck_monitoring_periods_maker_checker')),
        sa.CheckConstraint("status = 'recorded' OR (verified_kg IS NOT NULL AND statement_sha256 IS NOT NULL)", name=op.f('ck_monitoring_periods_verification_complete')),
        sa.ForeignKeyConstraint(['project_id'], ['sink_projects.id'], name=op.f('fk_monitoring_periods_project_id_sink_projects')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_monitoring_periods_recorded_by_id_users')),
        sa.ForeignKeyConstraint(['verification_recorded_by_id'], ['users.id'], name=op.f('fk_monitoring_periods_verification_recorded_by_id_users')),
        sa.ForeignKeyConstraint(['verification_approved_by_id'], ['users.id'], name=op.f('fk_monitoring_periods_verification_approved_by_id_users')),
        sa.ForeignKeyConstraint(['issuance_id'], ['issuances.id'], name=op.f('fk_monitoring_periods_issuance_id_issuances')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_periods')),
    )
    with op.batch_alter_table('monitoring_periods', schema=None) as batch_op:
        batch_op.create_index('ix_monitoring_periods_project', ['project_id', 'period_start'], unique=False)

    with op.batch_alter_table('allocations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settles_allocation_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_allocations_settles_allocation_id'), ['settles_allocation_id'])
        batch_op.create_foreign_key(batch_op.f('fk_allocations_settles_allocation_id_allocations'), 'allocations', ['settles_allocation_id'], ['id'])


def downgrade():
    with op.batch_alter_table('allocations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_allocations_settles_allocation_id_allocations'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_allocations_settles_allocation_id'), type_='unique')
        batch_op.drop_column('settles_allocation_id')

    with op.batch_alter_table('monitoring_periods', schema=None) as batch_op:
        batch_op.drop_index('ix_monitoring_periods_project')

    op.drop_table('monitoring_periods')
