"""planting-day proposals: organisations propose, staff approve or decline (issue 19)

Revision ID: 0022_day_proposals
Revises: 0021_trueup
Create Date: 2026-12-05 21:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

import webapp.models.base


# revision identifiers, used by Alembic.
revision = '0022_day_proposals'
down_revision = '0021_trueup'
branch_labels = None
depends_on = None

CHECKS = {
    'proposal_has_proposer':
        "status NOT IN ('proposed', 'declined', 'withdrawn') OR proposed_by_id IS NOT NULL",
    'proposal_has_no_places':
        "status NOT IN ('proposed', 'declined', 'withdrawn') OR places_taken = 0",
    'approval_complete': "(approved_at IS NULL) = (approved_by_id IS NULL)",
    'approved_only_scheduled_proposal':
        "approved_at IS NULL OR (proposed_by_id IS NOT NULL"
        " AND status IN ('scheduled', 'cancelled'))",
    'scheduled_proposal_approved':
        "proposed_by_id IS NULL OR status NOT IN ('scheduled', 'cancelled')"
        " OR approved_at IS NOT NULL",
    'approver_not_proposer': "approved_by_id IS NULL OR approved_by_id <> proposed_by_id",
    'declined_has_reason':
        "(status = 'declined') = (declined_at IS NOT NULL)"
        " AND (declined_at IS NULL OR (declined_by_id IS NOT NULL"
        " AND decline_reason IS NOT NULL AND decline_reason <> ''))",
    'withdrawn_has_time': "(status = 'withdrawn') = (withdrawn_at IS NOT NULL)",
}


def upgrade():
    with op.batch_alter_table('planting_days', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proposed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('proposal_note', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('approved_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('approved_at', webapp.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('declined_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('declined_at', webapp.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('decline_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_at', webapp.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_planting_days_proposed_by_id_users'), 'users', ['proposed_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_planting_days_approved_by_id_users'), 'users', ['approved_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_planting_days_declined_by_id_users'), 'users', ['declined_by_id'], ['id'])
        batch_op.create_index('ix_planting_days_status', ['status'], unique=False)
        batch_op.create_index('ix_planting_days_proposed_by', ['proposed_by_id'], unique=False)
        for name, condition in CHECKS.items():
            batch_op.create_check_constraint(name, condition)


def downgrade():
    # Proposals that never became scheduled days have no place in the older schema.
    op.execute("DELETE FROM planting_day_plots WHERE day_id IN (SELECT id FROM planting_days"
               " WHERE status IN ('proposed', 'declined', 'withdrawn'))")
    op.execute("DELETE FROM planting_days WHERE status IN ('proposed', 'declined', 'withdrawn')")
    with op.batch_alter_table('planting_days', schema=None) as batch_op:
        for name in CHECKS:
            batch_op.drop_constraint(batch_op.f(f'ck_planting_days_{name}'), type_='check')
        batch_op.drop_index('ix_planting_days_proposed_by')
        batch_op.drop_index('ix_planting_days_status')
        batch_op.drop_constraint(batch_op.f('fk_planting_days_declined_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_planting_days_approved_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_planting_days_proposed_by_id_users'), type_='foreignkey')
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('decline_reason')
        batch_op.drop_column('declined_at')
        batch_op.drop_column('declined_by_id')
        batch_op.drop_column('approved_at')
        batch_op.drop_column('approved_by_id')
        batch_op.drop_column('proposal_note')
        batch_op.drop_column('proposed_by_id')
