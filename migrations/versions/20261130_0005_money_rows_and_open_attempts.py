"""money rows and open attempts: one pending payment per dossier, money rows point at their payment,
refunds name their line and may be queued by the overpayment rule, no cascade from dossiers to money

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 21:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

#: older attempts left pending beside a newer one (the double-tap bug) are closed before the index
_CLOSE_EXTRA_PENDING = """
UPDATE payments SET status = 'expired'
WHERE status = 'pending'
  AND id < (SELECT MAX(p2.id) FROM payments p2 WHERE p2.dossier_id = payments.dossier_id AND p2.status = 'pending')
"""

#: online money rows made before this revision: the settled payment of the same dossier, moment and line
_LINK_ONLINE_ROWS = """
UPDATE collected_amounts SET payment_id = (
    SELECT p.id FROM payments p
    WHERE p.dossier_id = collected_amounts.dossier_id AND p.pay_date = collected_amounts.collected_at
      AND ((collected_amounts.kind = 'fee' AND p.fee_vnd = collected_amounts.amount_vnd)
        OR (collected_amounts.kind = 'postage' AND p.postage_vnd = collected_amounts.amount_vnd))
    ORDER BY p.id LIMIT 1
)
WHERE method = 'online'
"""


def upgrade() -> None:
    op.execute(_CLOSE_EXTRA_PENDING)
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_constraint('fk_payments_dossier_id_dossiers', type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_payments_dossier_id_dossiers'), 'dossiers', ['dossier_id'], ['id'])
        batch_op.create_index('uq_payments_one_pending_per_dossier', ['dossier_id'], unique=True,
                              postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))

    with op.batch_alter_table('collected_amounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint('fk_collected_amounts_dossier_id_dossiers', type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_collected_amounts_dossier_id_dossiers'), 'dossiers', ['dossier_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_collected_amounts_payment_id_payments'), 'payments', ['payment_id'], ['id'])
    op.execute(_LINK_ONLINE_ROWS)
    with op.batch_alter_table('collected_amounts', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_collected_amounts_payment_id_kind'), ['payment_id', 'kind'])

    with op.batch_alter_table('payment_refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.Enum('fee', 'postage', name='paymentkind', native_enum=False, length=16),
                                      server_default='fee', nullable=False))
        batch_op.alter_column('authorised_by_id', existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint('fk_payment_refunds_dossier_id_dossiers', type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_payment_refunds_dossier_id_dossiers'), 'dossiers', ['dossier_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('payment_refunds', schema=None) as batch_op:
        batch_op.drop_constraint('fk_payment_refunds_dossier_id_dossiers', type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_payment_refunds_dossier_id_dossiers'), 'dossiers', ['dossier_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.alter_column('authorised_by_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('kind')

    with op.batch_alter_table('collected_amounts', schema=None) as batch_op:
        batch_op.drop_constraint('uq_collected_amounts_payment_id_kind', type_='unique')
        batch_op.drop_constraint('fk_collected_amounts_payment_id_payments', type_='foreignkey')
        batch_op.drop_constraint('fk_collected_amounts_dossier_id_dossiers', type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_collected_amounts_dossier_id_dossiers'), 'dossiers', ['dossier_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.drop_column('payment_id')

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('uq_payments_one_pending_per_dossier')
        batch_op.drop_constraint('fk_payments_dossier_id_dossiers', type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_payments_dossier_id_dossiers'), 'dossiers', ['dossier_id'], ['id'],
                                    ondelete='CASCADE')
