"""return commitment clock: the return leg keeps two clocks (Điều 25.2, 22.5)

shipment_legs.commitment_due_at (return leg only) holds the post's 24-hour commitment; due_at of a return
leg becomes the contract's return-leg full-trip time. Return legs opened before this revision had the
commitment as their due time (basis 'commitment'): it is copied into commitment_due_at and their due_at
is left as it was. sla_breaches.clock grows to hold 'return_commitment'.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 02:30:00
"""
import sqlalchemy as sa
from alembic import op

import postal_gateway.core.db

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

OPEN_COMMITMENT = 'completed_at IS NULL AND commitment_due_at IS NOT NULL'
OLD_CLOCKS = ('forward', 'return_', 'appointment')
NEW_CLOCKS = ('forward', 'return_', 'return_commitment', 'appointment')


def upgrade() -> None:
    utc = postal_gateway.core.db.UTCDateTime(timezone=True)
    with op.batch_alter_table('shipment_legs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('commitment_due_at', utc, nullable=True))
    op.execute("UPDATE shipment_legs SET commitment_due_at = due_at "
               "WHERE kind = 'return_' AND due_basis = 'commitment' AND due_at IS NOT NULL")
    with op.batch_alter_table('shipment_legs', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_shipment_legs_commitment_only_on_return'),
                                         "kind = 'return_' OR commitment_due_at IS NULL")
        batch_op.create_index('ix_shipment_legs_open_commitment', ['commitment_due_at'], unique=False,
                              postgresql_where=sa.text(OPEN_COMMITMENT), sqlite_where=sa.text(OPEN_COMMITMENT))
    with op.batch_alter_table('sla_breaches', schema=None) as batch_op:
        batch_op.alter_column('clock',
                              existing_type=sa.Enum(*OLD_CLOCKS, name='slaclock', native_enum=False, length=16),
                              type_=sa.Enum(*NEW_CLOCKS, name='slaclock', native_enum=False, length=32),
                              existing_nullable=False)


def downgrade() -> None:
    op.execute("DELETE FROM sla_breaches WHERE clock = 'return_commitment'")
    with op.batch_alter_table('sla_breaches', schema=None) as batch_op:
        batch_op.alter_column('clock',
                              existing_type=sa.Enum(*NEW_CLOCKS, name='slaclock', native_enum=False, length=32),
                              type_=sa.Enum(*OLD_CLOCKS, name='slaclock', native_enum=False, length=16),
                              existing_nullable=False)
    with op.batch_alter_table('shipment_legs', schema=None) as batch_op:
        batch_op.drop_index('ix_shipment_legs_open_commitment', postgresql_where=sa.text(OPEN_COMMITMENT),
                            sqlite_where=sa.text(OPEN_COMMITMENT))
        batch_op.drop_constraint(op.f('ck_shipment_legs_commitment_only_on_return'), type_='check')
        batch_op.drop_column('commitment_due_at')
