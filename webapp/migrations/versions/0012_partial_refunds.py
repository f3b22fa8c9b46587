"""partial refunds: refunded amount and kilograms on orders, bank-transfer refund requests

Revision ID: 0012_partial_refunds
Revises: 0011_survey_tickets
Create Date: 2026-12-01 03:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import webapp.models.base


# revision identifiers, used by Alembic.
revision = '0012_partial_refunds'
down_revision = '0011_survey_tickets'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refunded_amount', sa.Numeric(precision=12, scale=2), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('refunded_kg', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('refund_requested_kg', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('refund_requested_at', webapp.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_orders_refund_within_amount'), 'refunded_amount >= 0 AND refunded_amount <= amount')
        batch_op.create_check_constraint(batch_op.f('ck_orders_refund_within_quantity'), 'refunded_kg >= 0 AND refunded_kg <= quantity_kg')

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_cover_kg', sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE certificates SET event_cover_kg ="
        " (SELECT orders.event_cover_kg FROM orders WHERE orders.id = certificates.order_id)"
        " WHERE kind = 'event'"
    )

    # Orders refunded before this revision were refunded in full.
    op.execute(
        "UPDATE orders SET refunded_amount = amount, refunded_kg = quantity_kg"
        " WHERE status = 'refunded'"
    )


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('event_cover_kg')

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_orders_refund_within_quantity'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_orders_refund_within_amount'), type_='check')
        batch_op.drop_column('refund_requested_at')
        batch_op.drop_column('refund_requested_kg')
        batch_op.drop_column('refunded_kg')
        batch_op.drop_column('refunded_amount')
