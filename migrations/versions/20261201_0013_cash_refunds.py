"""cash refunds: a lệ phí taken in cash or on behalf is paid back at the post office for a dossier the
agency could not handle (Điều 14.2.c); the shift's remittance is net of the refunds paid out of its till

Rows written before this revision had no refunds: refunds_vnd is 0 and the remittance still adds up.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 02:30:00
"""
import sqlalchemy as sa
from alembic import op

import postal_gateway.core.db

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

PAID_ALL_OR_NOTHING = (
    "(paid_at IS NULL AND paid_by_id IS NULL AND shift_id IS NULL AND voucher_number IS NULL) OR "
    "(paid_at IS NOT NULL AND paid_by_id IS NOT NULL AND shift_id IS NOT NULL AND voucher_number IS NOT NULL"
    " AND recipient_name != '' AND length(recipient_id_number_last4) = 4)"
)


def upgrade() -> None:
    utc = postal_gateway.core.db.UTCDateTime(timezone=True)
    op.create_table(
        'cash_refunds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('refund_flag_id', sa.Integer(), nullable=False),
        sa.Column('dossier_id', sa.Integer(), nullable=False),
        sa.Column('amount_vnd', sa.Integer(), nullable=False),
        sa.Column('authorised_by_id', sa.Integer(), nullable=False),
        sa.Column('authorised_at', utc, nullable=False),
        sa.Column('paid_by_id', sa.Integer(), nullable=True),
        sa.Column('paid_at', utc, nullable=True),
        sa.Column('recipient_name', sa.String(length=255), nullable=False),
        sa.Column('recipient_id_number_last4', sa.String(length=4), nullable=False),
        sa.Column('voucher_number', sa.String(length=32), nullable=True),
        sa.Column('shift_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('amount_vnd > 0', name=op.f('ck_cash_refunds_amount_positive')),
        sa.CheckConstraint(PAID_ALL_OR_NOTHING, name=op.f('ck_cash_refunds_payment_all_or_nothing')),
        sa.ForeignKeyConstraint(['refund_flag_id'], ['refund_flags.id'],
                                name=op.f('fk_cash_refunds_refund_flag_id_refund_flags')),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_cash_refunds_dossier_id_dossiers')),
        sa.ForeignKeyConstraint(['authorised_by_id'], ['users.id'],
                                name=op.f('fk_cash_refunds_authorised_by_id_users')),
        sa.ForeignKeyConstraint(['paid_by_id'], ['users.id'], name=op.f('fk_cash_refunds_paid_by_id_users')),
        sa.ForeignKeyConstraint(['shift_id'], ['cash_shifts.id'], name=op.f('fk_cash_refunds_shift_id_cash_shifts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cash_refunds')),
        sa.UniqueConstraint('refund_flag_id', name=op.f('uq_cash_refunds_refund_flag_id')),
    )
    with op.batch_alter_table('cash_refunds', schema=None) as batch_op:
        batch_op.create_index('ix_cash_refunds_shift_id', ['shift_id'], unique=False)
        batch_op.create_index('ix_cash_refunds_dossier_id', ['dossier_id'], unique=False)

    with op.batch_alter_table('cash_remittances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refunds_vnd', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_constraint(batch_op.f('ck_cash_remittances_parts_add_up'), type_='check')
        batch_op.create_check_constraint('refunds_not_negative', 'refunds_vnd >= 0')
        batch_op.create_check_constraint('parts_add_up', 'handed_vnd = fee_vnd + postage_vnd - refunds_vnd')


def downgrade() -> None:
    with op.batch_alter_table('cash_remittances', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_cash_remittances_parts_add_up'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_cash_remittances_refunds_not_negative'), type_='check')
        batch_op.create_check_constraint('parts_add_up', 'handed_vnd = fee_vnd + postage_vnd')
        batch_op.drop_column('refunds_vnd')
    with op.batch_alter_table('cash_refunds', schema=None) as batch_op:
        batch_op.drop_index('ix_cash_refunds_dossier_id')
        batch_op.drop_index('ix_cash_refunds_shift_id')
    op.drop_table('cash_refunds')
