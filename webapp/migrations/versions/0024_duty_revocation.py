"""duty certificates can be revoked: when, why (a staff decision with a note, or the refund
of an order they counted), by whom (nobody when automatic)

Revision ID: 0024_duty_revocation
Revises: 0023_donations
Create Date: 2026-12-05 21:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

import webapp.models.base


# revision identifiers, used by Alembic.
revision = '0024_duty_revocation'
down_revision = '0023_donations'
branch_labels = None
depends_on = None

REVOKED_IFF_REASON = (
    "(revoked_at IS NULL AND revocation_reason IS NULL)"
    " OR (revoked_at IS NOT NULL AND revocation_reason IS NOT NULL)"
)
REVOCATION_BY_WHOM = (
    "(revocation_reason IS NULL AND revoked_by_id IS NULL AND revocation_note IS NULL)"
    " OR (revocation_reason IS NOT NULL AND revocation_reason = 'staff'"
    " AND revoked_by_id IS NOT NULL"
    " AND revocation_note IS NOT NULL AND revocation_note <> '')"
    " OR (revocation_reason IS NOT NULL AND revocation_reason <> 'staff'"
    " AND revoked_by_id IS NULL)"
)


def upgrade():
    with op.batch_alter_table('duty_certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_at', webapp.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revocation_reason', sa.Enum('staff', 'refunded', name='dutyrevocationreason', native_enum=False, length=16), nullable=True))
        batch_op.add_column(sa.Column('revoked_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('revocation_note', sa.String(length=200), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_duty_certificates_revoked_by_id_users'), 'users', ['revoked_by_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_duty_certificates_revoked_iff_reason'), REVOKED_IFF_REASON)
        batch_op.create_check_constraint(batch_op.f('ck_duty_certificates_revocation_by_whom'), REVOCATION_BY_WHOM)


def downgrade():
    with op.batch_alter_table('duty_certificates', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_duty_certificates_revocation_by_whom'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_duty_certificates_revoked_iff_reason'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_duty_certificates_revoked_by_id_users'), type_='foreignkey')
        batch_op.drop_column('revocation_note')
        batch_op.drop_column('revoked_by_id')
        batch_op.drop_column('revocation_reason')
        batch_op.drop_column('revoked_at')
