"""reconciliation indexes: the day's gateway rows in txn_ref order, refunds by payment

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 01:18:11.867310
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('payment_gateway_transactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_gateway_transactions_day_agency'))
        batch_op.create_index('ix_payment_gateway_transactions_day_agency_type_ref', ['business_day', 'agency_code', 'transaction_type', 'txn_ref'], unique=False)

    with op.batch_alter_table('payment_refunds', schema=None) as batch_op:
        batch_op.create_index('ix_payment_refunds_payment_id', ['payment_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('payment_refunds', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_refunds_payment_id')

    with op.batch_alter_table('payment_gateway_transactions', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_gateway_transactions_day_agency_type_ref')
        batch_op.create_index(batch_op.f('ix_payment_gateway_transactions_day_agency'), ['business_day', 'agency_code'], unique=False)

