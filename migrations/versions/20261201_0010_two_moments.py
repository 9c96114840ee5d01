"""two moments: the post submits (shipment number, submitted_at), the agency accepts (code, receipt
time, due time and appointment date, all set together on acceptance: Điều 12.1.d, 14.4, 21.1)

Rows written before this revision were "received" at the postal worker's intake: they keep that old,
wrong anchor (received_at from the intake moment), with accepted_at = received_at, no accepting
officer and receipt_basis 'online_valid'; submitted_at = entered_at; each gets a shipment number in
id order.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 00:30:00
"""
from alembic import op
import sqlalchemy as sa
import postal_gateway.core.db


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

RECEIPT_COLUMNS = ('code', 'received_at', 'processing_start_at', 'due_at', 'appointment_date', 'accepted_at',
                   'receipt_basis')
ALL_OR_NOTHING = ('(' + ' AND '.join(f'{name} IS NULL' for name in RECEIPT_COLUMNS) + ') OR ('
                  + ' AND '.join(f'{name} IS NOT NULL' for name in RECEIPT_COLUMNS) + ')')
WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
PREFIX = 'RA'


def _shipment_number(serial: int) -> str:
    """S10, frozen here as it was at this revision: RA + 8 digits + check digit + VN."""
    digits = f'{serial:08d}'
    value = 11 - sum(int(d) * w for d, w in zip(digits, WEIGHTS)) % 11
    return f'{PREFIX}{digits}{ {10: 0, 11: 5}.get(value, value)}VN'


def upgrade() -> None:
    utc = postal_gateway.core.db.UTCDateTime(timezone=True)
    op.create_table(
        'shipment_number_counters',
        sa.Column('prefix', sa.String(length=2), nullable=False),
        sa.Column('last_serial', sa.Integer(), nullable=False),
        sa.CheckConstraint('last_serial BETWEEN 1 AND 99999999', name=op.f('ck_shipment_number_counters_serial_range')),
        sa.PrimaryKeyConstraint('prefix', name=op.f('pk_shipment_number_counters')),
    )
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shipment_number', sa.String(length=13), nullable=True))
        batch_op.add_column(sa.Column('submitted_at', utc, nullable=True))
        batch_op.add_column(sa.Column('accepted_at', utc, nullable=True))
        batch_op.add_column(sa.Column('accepted_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('receipt_basis', sa.String(length=16), nullable=True))
    with op.batch_alter_table('lookup_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shipment_number', sa.String(length=13), nullable=True))
        batch_op.add_column(sa.Column('submitted_at', utc, nullable=True))

    connection = op.get_bind()
    dossiers = sa.table('dossiers', sa.column('id', sa.Integer), sa.column('shipment_number', sa.String),
                        sa.column('entered_at', utc), sa.column('received_at', utc),
                        sa.column('submitted_at', utc), sa.column('accepted_at', utc),
                        sa.column('receipt_basis', sa.String))
    lookup = sa.table('lookup_records', sa.column('dossier_id', sa.Integer),
                      sa.column('shipment_number', sa.String), sa.column('submitted_at', utc))
    serial = 0
    for (dossier_id,) in connection.execute(sa.select(dossiers.c.id).order_by(dossiers.c.id)).all():
        serial += 1
        connection.execute(dossiers.update().where(dossiers.c.id == dossier_id)
                           .values(shipment_number=_shipment_number(serial)))
    connection.execute(dossiers.update().values(submitted_at=dossiers.c.entered_at, accepted_at=dossiers.c.received_at,
                                                receipt_basis='online_valid'))
    if serial:
        counters = sa.table('shipment_number_counters', sa.column('prefix', sa.String),
                            sa.column('last_serial', sa.Integer))
        connection.execute(counters.insert().values(prefix=PREFIX, last_serial=serial))
    for dossier_id, number, submitted_at in connection.execute(
        sa.select(dossiers.c.id, dossiers.c.shipment_number, dossiers.c.submitted_at)
    ).all():
        connection.execute(lookup.update().where(lookup.c.dossier_id == dossier_id)
                           .values(shipment_number=number, submitted_at=submitted_at))
    # a lookup record whose dossier is gone cannot be given a number: it is dropped, as the projection would
    connection.execute(lookup.delete().where(lookup.c.shipment_number.is_(None)))

    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.alter_column('shipment_number', existing_type=sa.String(length=13), nullable=False)
        batch_op.alter_column('submitted_at', existing_type=utc, nullable=False)
        for name, kind in (('code', sa.String(length=32)), ('received_at', utc), ('processing_start_at', utc),
                           ('due_at', utc), ('appointment_date', sa.Date())):
            batch_op.alter_column(name, existing_type=kind, nullable=True)
        batch_op.create_unique_constraint(op.f('uq_dossiers_shipment_number'), ['shipment_number'])
        batch_op.create_foreign_key(op.f('fk_dossiers_accepted_by_id_users'), 'users', ['accepted_by_id'], ['id'])
        batch_op.create_check_constraint('receipt_all_or_nothing', ALL_OR_NOTHING)
        batch_op.create_check_constraint('received_after_submitted',
                                         'received_at IS NULL OR received_at >= submitted_at')
        batch_op.create_check_constraint('receipt_basis_known',
                                         "receipt_basis IN ('online_valid', 'paper_handover')")
    with op.batch_alter_table('lookup_records', schema=None) as batch_op:
        batch_op.alter_column('shipment_number', existing_type=sa.String(length=13), nullable=False)
        batch_op.alter_column('submitted_at', existing_type=utc, nullable=False)
        for name, kind in (('code', sa.String(length=32)), ('received_at', utc), ('appointment_date', sa.Date())):
            batch_op.alter_column(name, existing_type=kind, nullable=True)
        batch_op.create_unique_constraint(op.f('uq_lookup_records_shipment_number'), ['shipment_number'])


def downgrade() -> None:
    # Submitted dossiers that were never accepted have no code: they cannot exist in the older schema,
    # and deleting them would lose what the citizen handed in, so the downgrade stops instead.
    connection = op.get_bind()
    waiting = connection.execute(sa.text('SELECT COUNT(*) FROM dossiers WHERE code IS NULL')).scalar_one()
    if waiting:
        raise RuntimeError(f'{waiting} dossier(s) submitted but not accepted have no code; accept or remove them '
                           'before downgrading below 0010')
    connection.execute(sa.text('DELETE FROM lookup_records WHERE code IS NULL'))
    with op.batch_alter_table('lookup_records', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_lookup_records_shipment_number'), type_='unique')
        batch_op.drop_column('submitted_at')
        batch_op.drop_column('shipment_number')
        utc = postal_gateway.core.db.UTCDateTime(timezone=True)
        for name, kind in (('code', sa.String(length=32)), ('received_at', utc), ('appointment_date', sa.Date())):
            batch_op.alter_column(name, existing_type=kind, nullable=False)
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_dossiers_receipt_basis_known'), type_='check')
        batch_op.drop_constraint(op.f('ck_dossiers_received_after_submitted'), type_='check')
        batch_op.drop_constraint(op.f('ck_dossiers_receipt_all_or_nothing'), type_='check')
        batch_op.drop_constraint(op.f('fk_dossiers_accepted_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(op.f('uq_dossiers_shipment_number'), type_='unique')
        for name in ('receipt_basis', 'accepted_by_id', 'accepted_at', 'submitted_at', 'shipment_number'):
            batch_op.drop_column(name)
        for name, kind in (('code', sa.String(length=32)), ('received_at', utc), ('processing_start_at', utc),
                           ('due_at', utc), ('appointment_date', sa.Date())):
            batch_op.alter_column(name, existing_type=kind, nullable=False)
    op.drop_table('shipment_number_counters')
