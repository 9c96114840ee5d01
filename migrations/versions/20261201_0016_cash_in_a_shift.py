"""cash in a shift: every amount taken in cash or on behalf is a line of one shift's cash book (Điều 23.4);
the database refuses a cash or thu hộ row without a shift

Backfill: a row taken while its collector had a shift open (opened_at <= collected_at < closed_at) is linked
to that shift, as the cash book already counted it. The rows taken with no shift open had vanished from
every book: each worker's such rows of one Vietnamese day, between two of their shifts, are gathered into a
recovered shift, closed just after its last amount, so that it waits for the cashier like any closed shift.
A cash row with no collector is the dossier's submitting worker's. The downgrade drops the link and keeps
the recovered shifts (money that was remitted against them stays on the books).

Revision ID: 0016
Revises: 0017
Create Date: 2026-12-01 03:00:00
"""
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import postal_gateway.core.db

revision = '0016'
down_revision = '0017'
branch_labels = None
depends_on = None

CASH_IN_A_SHIFT = "method NOT IN ('cash', 'collection_on_behalf') OR shift_id IS NOT NULL"
VIETNAM = ZoneInfo('Asia/Ho_Chi_Minh')


def upgrade() -> None:
    with op.batch_alter_table('collected_amounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shift_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_collected_amounts_shift_id_cash_shifts'), 'cash_shifts',
                                    ['shift_id'], ['id'])
        batch_op.create_index('ix_collected_amounts_shift_id', ['shift_id'], unique=False)
    _backfill(op.get_bind())
    with op.batch_alter_table('collected_amounts', schema=None) as batch_op:
        batch_op.create_check_constraint('cash_in_a_shift', CASH_IN_A_SHIFT)


def _backfill(connection) -> None:
    utc = postal_gateway.core.db.UTCDateTime(timezone=True)
    amounts = sa.table('collected_amounts', sa.column('id', sa.Integer), sa.column('dossier_id', sa.Integer),
                       sa.column('method', sa.String), sa.column('collected_by_id', sa.Integer),
                       sa.column('collected_at', utc), sa.column('shift_id', sa.Integer))
    dossiers = sa.table('dossiers', sa.column('id', sa.Integer), sa.column('submitted_by_id', sa.Integer),
                        sa.column('post_office_id', sa.Integer))
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('post_office_id', sa.Integer))
    shifts = sa.table('cash_shifts', sa.column('id', sa.Integer), sa.column('worker_id', sa.Integer),
                      sa.column('post_office_id', sa.Integer), sa.column('status', sa.String),
                      sa.column('opened_at', utc), sa.column('closed_at', utc))
    rows = connection.execute(
        sa.select(amounts.c.id, amounts.c.collected_at,
                  sa.func.coalesce(amounts.c.collected_by_id, dossiers.c.submitted_by_id),
                  sa.func.coalesce(users.c.post_office_id, dossiers.c.post_office_id))
        .select_from(amounts.join(dossiers, dossiers.c.id == amounts.c.dossier_id)
                     .outerjoin(users, users.c.id == sa.func.coalesce(amounts.c.collected_by_id,
                                                                      dossiers.c.submitted_by_id)))
        .where(amounts.c.method.in_(('cash', 'collection_on_behalf')))
        .order_by(amounts.c.collected_at, amounts.c.id)
    ).all()
    if not rows:
        return
    by_worker: dict[int, list] = {}
    for shift in connection.execute(sa.select(shifts).order_by(shifts.c.opened_at)).all():
        by_worker.setdefault(shift.worker_id, []).append(shift)
    orphans: dict[int, list] = {}
    unplaceable = []
    for amount_id, collected_at, worker_id, office_id in rows:
        if worker_id is None or office_id is None:
            unplaceable.append(amount_id)
            continue
        inside = next((s for s in by_worker.get(worker_id, ())
                       if s.opened_at <= collected_at and (s.closed_at is None or collected_at < s.closed_at)), None)
        if inside is not None:
            connection.execute(amounts.update().where(amounts.c.id == amount_id).values(shift_id=inside.id))
        else:
            orphans.setdefault(worker_id, []).append((amount_id, collected_at, office_id))
    if unplaceable:
        raise RuntimeError(f'cash amounts {unplaceable} have no collector and no submitting worker with a post '
                           'office: give them one before upgrading to 0016')
    for worker_id, taken in orphans.items():
        for group in _recovered_groups(taken, [s.opened_at for s in by_worker.get(worker_id, ())]):
            first, last = group[0][1], group[-1][1]
            later_openings = [s.opened_at for s in by_worker.get(worker_id, ()) if s.opened_at > last]
            closed_at = min([last + timedelta(seconds=1), *later_openings])
            shift_id = connection.execute(
                shifts.insert().values(worker_id=worker_id, post_office_id=group[0][2], status='closed',
                                       opened_at=first, closed_at=closed_at).returning(shifts.c.id)
            ).scalar_one()
            connection.execute(amounts.update().where(amounts.c.id.in_([row[0] for row in group]))
                               .values(shift_id=shift_id))


def _recovered_groups(taken: list, openings: list) -> list[list]:
    """The worker's amounts outside any shift, in time order, cut at each change of Vietnamese day, of post
    office, and at each opening of one of their shifts (a recovered shift never overlaps a real one)."""
    groups: list[list] = []
    for row in taken:
        if groups:
            previous = groups[-1][-1]
            same_day = previous[1].astimezone(VIETNAM).date() == row[1].astimezone(VIETNAM).date()
            shift_between = any(previous[1] < opened <= row[1] for opened in openings)
            if same_day and previous[2] == row[2] and not shift_between:
                groups[-1].append(row)
                continue
        groups.append([row])
    return groups


def downgrade() -> None:
    with op.batch_alter_table('collected_amounts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_collected_amounts_cash_in_a_shift'), type_='check')
        batch_op.drop_index('ix_collected_amounts_shift_id')
        batch_op.drop_constraint(op.f('fk_collected_amounts_shift_id_cash_shifts'), type_='foreignkey')
        batch_op.drop_column('shift_id')
