"""donations for planting (捐资造林): orders of kind 'donation' retire nothing (quantity 0)
and always name their memorial site, as plot sponsorships do

Revision ID: 0023_donations
Revises: 0022_day_proposals
Create Date: 2026-12-05 21:45:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0023_donations'
down_revision = '0022_day_proposals'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_orders_plot_orders_have_site'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_orders_quantity_positive'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_orders_quantity_positive'), "quantity_kg > 0 OR (kind IN ('plot', 'donation') AND quantity_kg = 0)")
        batch_op.create_check_constraint(batch_op.f('ck_orders_plot_orders_have_site'), "kind NOT IN ('plot', 'donation') OR site_id IS NOT NULL")


def downgrade():
    # Records of money are never deleted here: with donation orders present the older
    # constraints fail and the downgrade stops (deal with those orders first).
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_orders_plot_orders_have_site'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_orders_quantity_positive'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_orders_quantity_positive'), "quantity_kg > 0 OR (kind = 'plot' AND quantity_kg = 0)")
        batch_op.create_check_constraint(batch_op.f('ck_orders_plot_orders_have_site'), "kind <> 'plot' OR site_id IS NOT NULL")
