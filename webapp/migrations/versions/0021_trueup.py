"""true-up basis: the rule that set the attendees' travel, with the answers and attendees
it was judged on

Revision ID: 0021_trueup
Revises: 0015_session_ids
Create Date: 2026-12-05 03:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_trueup'
down_revision = '0019_phone_accounts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trueup_rule', sa.Enum('organiser_figures', 'survey_extrapolated', 'estimate_stands', 'survey_above_estimate', name='trueuprule', native_enum=False, length=24), nullable=True))
        batch_op.add_column(sa.Column('trueup_answers', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('trueup_attendees', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('trueup_attendees')
        batch_op.drop_column('trueup_answers')
        batch_op.drop_column('trueup_rule')
