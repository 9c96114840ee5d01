"""merchant terminals per agency; the gateway's daily file belongs to the importing agency

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 20:33:59.914792
"""
import sqlalchemy as sa
from alembic import op

import postal_gateway.core.db

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payment_merchant_terminals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('tmn_code', sa.String(length=16), nullable=False),
    sa.Column('sandbox', sa.Boolean(), nullable=False),
    sa.Column('payment_url', sa.String(length=500), nullable=False),
    sa.Column('api_url', sa.String(length=500), nullable=False),
    sa.Column('hash_secret_variable', sa.String(length=64), nullable=False),
    sa.Column('created_at', postal_gateway.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("sandbox OR (payment_url <> '' AND api_url <> '' AND hash_secret_variable <> '')", name=op.f('ck_payment_merchant_terminals_real_terminal_complete')),
    sa.CheckConstraint("tmn_code <> ''", name=op.f('ck_payment_merchant_terminals_tmn_code_present')),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_payment_merchant_terminals_agency_id_agencies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_merchant_terminals')),
    sa.UniqueConstraint('agency_id', name=op.f('uq_payment_merchant_terminals_agency_id')),
    sa.UniqueConstraint('tmn_code', name=op.f('uq_payment_merchant_terminals_tmn_code'))
    )
    # Files imported before this revision keep agency_id empty: no agency's reconciliation reads them.
    with op.batch_alter_table('payment_gateway_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agency_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('tmn_code', sa.String(length=16), nullable=False, server_default=''))
        batch_op.create_index('ix_payment_gateway_imports_agency_day', ['agency_id', 'business_day'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_payment_gateway_imports_agency_id_agencies'), 'agencies', ['agency_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('payment_gateway_imports', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_payment_gateway_imports_agency_id_agencies'), type_='foreignkey')
        batch_op.drop_index('ix_payment_gateway_imports_agency_day')
        batch_op.drop_column('tmn_code')
        batch_op.drop_column('agency_id')

    op.drop_table('payment_merchant_terminals')
