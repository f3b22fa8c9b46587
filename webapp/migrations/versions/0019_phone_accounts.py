"""phone accounts: users may have a mainland mobile number instead of (or besides) an
e-mail address; one-time SMS codes are kept hashed in phone_codes

Revision ID: 0019_phone_accounts
Revises: 0015_session_ids
Create Date: 2026-12-05 03:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_phone_accounts'
down_revision = '0018_planting_days'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=16), nullable=True))
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=True)
        batch_op.alter_column('password_hash', existing_type=sa.String(length=255), nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_users_phone'), ['phone'])
        batch_op.create_check_constraint(
            batch_op.f('ck_users_email_or_phone'), 'email IS NOT NULL OR phone IS NOT NULL'
        )

    op.create_table(
        'phone_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=16), nullable=False),
        sa.Column(
            'purpose',
            sa.Enum('sign_in', 'bind', name='codepurpose', native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('attempts >= 0', name=op.f('ck_phone_codes_attempts_non_negative')),
        sa.CheckConstraint(
            "purpose <> 'bind' OR user_id IS NOT NULL", name=op.f('ck_phone_codes_bind_has_user')
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_phone_codes_user_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_codes')),
    )
    op.create_index('ix_phone_codes_phone_created', 'phone_codes', ['phone', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_phone_codes_phone_created', table_name='phone_codes')
    op.drop_table('phone_codes')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_email_or_phone'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_users_phone'), type_='unique')
        batch_op.drop_column('phone')
        batch_op.alter_column('password_hash', existing_type=sa.String(length=255), nullable=False)
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=False)
