"""registry indexes for a register of any size

Revision ID: 0003_registry_indexes
Revises: 0002_registry
Create Date: 2026-11-21 19:45:00

Measured at 1,000,000 ledger entries (docs/BENCHMARKS.md): loading an allocation's ranges
scanned every serial range, and name search could not use an index.
"""
from alembic import op

revision = "0003_registry_indexes"
down_revision = "0002_registry"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("serial_ranges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_serial_ranges_allocation_id"), ["allocation_id"], unique=False
        )
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocations_beneficiary_public"))
        batch_op.create_index(
            "ix_allocations_beneficiary_prefix",
            ["beneficiary_public"],
            unique=False,
            postgresql_ops={"beneficiary_public": "varchar_pattern_ops"},
        )


def downgrade():
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.drop_index("ix_allocations_beneficiary_prefix")
        batch_op.create_index(
            batch_op.f("ix_allocations_beneficiary_public"), ["beneficiary_public"], unique=False
        )
    with op.batch_alter_table("serial_ranges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_serial_ranges_allocation_id"))
