"""One test per column of seed 001's table (docs/statistics.md), each on a period built by hand: March 2026,
S = 1 March 00:00 and E = 1 April 00:00 in Vietnam, asked on 10 April (so the cut-off C is E). Every test lays
down the dossiers its column must count and the near misses it must not, then reads the agency's row.

Seed 001 (OCR of the province's published table) gives the column order and two identities that its rows
confirm: total = carried over + received in the period, and total = settled on time + late + in progress +
waiting + returned. The regulation (seed 002) anchors "received" at the official receipt (Điều 12.1.d) and lets
the clock stop while the citizen supplements a dossier (Điều 9.3.b)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest

from postal_gateway import calendar
from postal_gateway.accounts.models import Role, User
from postal_gateway.catalogue.models import Agency, Procedure
from postal_gateway.core.formatting import VIETNAM
from postal_gateway.dossiers.models import Dossier, DossierStatusChange, ReceiptBasis
from postal_gateway.dossiers.models import DossierStatus as S
from postal_gateway.statistics.service import (
    _DAYS_BEFORE,
    CARRIED_KEYS,
    NO_DATA_KEYS,
    OUTCOME_KEYS,
    _medians,
    _medians_in_python,
    _medians_in_sql,
    _WorkingClock,
    agency_statistics,
)
from postal_gateway.workbench.models import ApologyLetter, OpinionRequest, SupplementRequest
from tests import factories

NOW = datetime(2026, 4, 10, 9, 0, tzinfo=VIETNAM)
MARCH = {"date_from": "2026-03-01", "date_to": "2026-03-31"}


def at(month, day, hour=9, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=VIETNAM)


START, END = at(3, 1, 0, 0), at(4, 1, 0, 0)


@dataclass
class World:
    session: object
    agency: Agency
    procedure: Procedure
    officer: User
    staff: User
    citizen: User

    def dossier(self, *, received, due=None, settled=None, given_back=None, status=S.in_processing,
                supplements=(), **fields) -> Dossier:
        """A received postal dossier; ``supplements`` are (requested, supplied, due before, due after)."""
        row = factories.postal_dossier(
            self.session, procedure=self.procedure, staff=self.staff, citizen=self.citizen, entered_at=received,
            due_at=due or received + timedelta(days=10), settled_at=settled, given_back_at=given_back, status=status,
            **fields)
        for requested, supplied, due_before, due_after in supplements:
            self.session.add(SupplementRequest(
                dossier_id=row.id, requested_by_id=self.officer.id, requested_at=requested, reasons=["Bản sao"],
                spent_seconds=3600, remaining_seconds=7200, previous_due_at=due_before, supplied_at=supplied,
                new_due_at=due_after))
        return row

    def submission(self, *, submitted, history=(), received=None, **fields) -> Dossier:
        """A dossier the post submitted; ``history`` is (status, at) after the submission; received only if told."""
        row = factories.postal_dossier(
            self.session, procedure=self.procedure, staff=self.staff, citizen=self.citizen, entered_at=submitted,
            submitted_at=submitted, status=history[-1][0] if history else S.submitted, received_at=received,
            accepted_at=received, code=None if received is None else f"{self.agency.code}-{submitted:%y%m%d%H%M}",
            processing_start_at=received, due_at=None if received is None else received + timedelta(days=7),
            appointment_date=None if received is None else (received + timedelta(days=7)).date(),
            receipt_basis=None if received is None else ReceiptBasis.online_valid, **fields)
        self.session.add(DossierStatusChange(dossier_id=row.id, from_status=None, to_status=S.submitted, at=submitted,
                                             action="submit"))
        previous = S.submitted
        for status, moment in history:
            self.session.add(DossierStatusChange(dossier_id=row.id, from_status=previous, to_status=status,
                                                 at=moment, action="hand-built"))
            previous = status
        return row

    def row(self, now=NOW, **period):
        self.session.flush()
        report = agency_statistics(self.session, viewer=self.officer, now=now, **(period or MARCH))
        (line,) = report.rows
        return {**line.counts, "on_time_pct": line.on_time_pct}

    def reception(self, now=NOW, **period):
        self.session.flush()
        report = agency_statistics(self.session, viewer=self.officer, now=now, **(period or MARCH))
        (line,) = report.reception
        return {**line.counts, "median_working_hours": line.median_working_hours}


@pytest.fixture()
def world(session):
    agency = factories.agency(session, name="Sở Kế Hoạch và Đầu Tư")
    return World(session, agency, factories.procedure(session, agency),
                 factories.user(session, Role.agency_staff, agency=agency),
                 factories.user(session, Role.postal_staff), factories.user(session, Role.citizen))


def closes(row: dict) -> bool:
    """Both identities of seed 001's rows."""
    carried = sum(row[key] for key in CARRIED_KEYS)
    return row["to_settle"] == carried + row["received"] == sum(row[key] for key in OUTCOME_KEYS)


# --- carried over from the previous period ------------------------------------------------------------------


def test_statistics_column_carried_on_time__seed001(world):
    """Open at S, not waiting for a supplement at S, and not yet due at S by the due time in force at S."""
    world.dossier(received=at(2, 20), due=at(3, 5))                              # counted
    world.dossier(received=at(2, 20), due=START)                                 # due exactly at S: counted
    world.dossier(received=at(2, 20), due=at(3, 5), settled=at(3, 4), status=S.result_ready)  # counted
    # The supplement came after S: at S the due time was that request's previous_due_at (10 March), not the
    # later one now in dossiers.due_at; still on time either way, but by the right date.
    world.dossier(received=at(2, 25), due=at(3, 28), supplements=[(at(3, 6), at(3, 9), at(3, 10), at(3, 28))])
    world.dossier(received=at(2, 10), due=at(2, 27))                             # late at S
    world.dossier(received=at(2, 10), due=at(2, 27), settled=at(2, 26), status=S.returned)  # closed before S
    world.dossier(received=START, due=at(3, 10))                                 # received in the period
    assert world.row()["carried_on_time"] == 4


def test_statistics_column_carried_late__seed001(world):
    """Open at S and past the due time in force at S. The stale-deadline case (Điều 9.3.b): a dossier late at S
    whose supplement came later has a new, later dossiers.due_at; at S it was late by the request's
    previous_due_at."""
    world.dossier(received=at(2, 10), due=at(2, 25))                             # counted
    world.dossier(received=at(2, 10), due=at(3, 25), supplements=[(at(3, 5), at(3, 9), at(2, 26), at(3, 25))])
    world.dossier(received=at(2, 10), due=at(2, 28, 23, 59), given_back=at(3, 3), status=S.rejected)  # counted
    world.dossier(received=at(2, 20), due=START)                                 # due exactly at S: on time
    world.dossier(received=at(2, 10), due=at(2, 25), given_back=at(2, 27), status=S.withdrawn)  # closed before S
    row = world.row()
    assert row["carried_late"] == 3
    assert row["carried_on_time"] == 1


def test_statistics_column_carried_waiting__seed001(world):
    """The third carried-over column, "Chờ bổ sung": open at S with the clock stopped at S (a supplement request
    made before S and not supplied before S, Điều 9.3.b), whatever its due time."""
    world.dossier(received=at(2, 10), due=at(2, 26), status=S.supplement_requested,
                  supplements=[(at(2, 20), None, at(2, 26), None)])              # still waiting: counted
    world.dossier(received=at(2, 10), due=at(3, 12),
                  supplements=[(at(2, 20), at(3, 3), at(2, 26), at(3, 12))])     # supplied in March: counted
    world.dossier(received=at(2, 10), due=at(3, 6),
                  supplements=[(at(2, 18), at(2, 24), at(2, 22), at(3, 6))])     # supplied before S: on time
    world.dossier(received=at(2, 10), due=at(3, 20), status=S.supplement_requested,
                  supplements=[(START, None, at(2, 28), None)])                  # asked exactly at S: not stopped
    row = world.row()
    assert (row["carried_waiting"], row["carried_on_time"], row["carried_late"]) == (2, 1, 1)


def test_statistics_waiting_for_supplement_at_start_classed_by_remaining_time__seed001(world):
    """Điều 9.3.b (time spent counts, the clock stops): a dossier waiting for a supplement at S still has its
    pre-request due time in dossiers.due_at, before S. It had working time left when the clock stopped, so it
    is not late: it is carried over as "Chờ bổ sung", and once supplied it is judged by its current (new) due
    time, on time here."""
    world.dossier(received=at(2, 2), due=at(3, 20), settled=at(3, 18), status=S.result_ready,
                  supplements=[(at(2, 9), at(3, 10), at(2, 12), at(3, 20))])
    row = world.row()
    assert (row["carried_waiting"], row["carried_late"], row["carried_on_time"]) == (1, 0, 0)
    assert (row["settled_on_time"], row["settled_late"]) == (1, 0)


# --- received, total --------------------------------------------------------------------------------------


def test_statistics_column_received__seed001(world):
    """S ≤ received_at < E, the official receipt time (Điều 12.1.d)."""
    world.dossier(received=START)                                                # counted
    world.dossier(received=at(3, 31, 23, 59))                                    # counted
    world.dossier(received=at(3, 15), settled=at(3, 20), status=S.result_ready)  # counted
    world.dossier(received=END)                                                  # next period
    world.dossier(received=at(2, 28, 23, 59))                                    # carried over
    world.submission(submitted=at(3, 10))                                        # awaiting acceptance
    world.submission(submitted=at(3, 11), history=[(S.refused, at(3, 12))])      # refused at reception
    world.submission(submitted=at(3, 12), history=[(S.completion_requested, at(3, 13))])
    assert world.row()["received"] == 3


def test_statistics_exclude_submissions_not_yet_received__dieu_12_1_d(world):
    """Điều 12.1.d, 21.1: the post's submission is not the agency's receipt. Submissions awaiting acceptance, sent
    back for completion or refused have no receipt time and are in no column of the seed's table."""
    world.submission(submitted=at(2, 20))
    world.submission(submitted=at(3, 10))
    world.submission(submitted=at(3, 11), history=[(S.refused, at(3, 12))])
    world.submission(submitted=at(2, 11), history=[(S.completion_requested, at(3, 2))])
    assert all(value in (0, None) for value in world.row().values())


def test_statistics_column_to_settle__seed001(world):
    """Everything the period must account for: carried over (3 columns) + received in the period."""
    world.dossier(received=at(2, 20), due=at(3, 5))                                              # carried on time
    world.dossier(received=at(2, 10), due=at(2, 20))                                             # carried late
    world.dossier(received=at(2, 10), status=S.supplement_requested,
                  supplements=[(at(2, 15), None, at(2, 20), None)])                              # carried waiting
    world.dossier(received=at(3, 2), settled=at(3, 5), status=S.returned)                        # received
    world.dossier(received=at(3, 3), given_back=at(3, 4), status=S.rejected)                     # received
    world.dossier(received=at(1, 5), settled=at(1, 9), status=S.returned)                        # done before S
    world.dossier(received=at(1, 5), given_back=at(2, 9), status=S.withdrawn)                    # done before S
    world.submission(submitted=at(3, 10))                                                        # never received
    row = world.row()
    assert row["to_settle"] == 5
    assert closes(row)


# --- settled in the period ----------------------------------------------------------------------------


def test_statistics_column_settled_on_time__seed001(world):
    """S ≤ settled_at < E and settled_at ≤ due_at (an apology letter does not move due_at)."""
    world.dossier(received=at(3, 2), due=at(3, 10, 17), settled=at(3, 10, 17), status=S.result_ready)   # at due
    world.dossier(received=at(2, 20), due=at(3, 5), settled=at(3, 4), status=S.returned)                # carried
    world.dossier(received=at(3, 2), due=at(3, 22), settled=at(3, 20), status=S.result_ready,
                  supplements=[(at(3, 5), at(3, 12), at(3, 10), at(3, 22))])                           # moved
    world.dossier(received=at(3, 2), due=at(3, 10), settled=at(3, 10, 17, 1), status=S.returned)        # late
    world.dossier(received=at(3, 25), due=at(4, 5), settled=at(4, 2), status=S.result_ready)            # after E
    world.dossier(received=at(2, 2), due=at(2, 10), settled=at(2, 9), status=S.returned)                # before S
    # due_at as set at reception; the apology's new appointment is not a due time
    world.dossier(received=at(3, 2), due=at(3, 9), appointment_date=at(3, 20).date(), settled=at(3, 19),
                  status=S.result_ready)
    row = world.row()
    assert row["settled_on_time"] == 3
    assert row["settled_late"] == 2


def test_statistics_column_settled_late__seed001(world):
    """S ≤ settled_at < E and settled_at > due_at."""
    world.dossier(received=at(3, 2), due=at(3, 10), settled=at(3, 10, 9, 1), status=S.returned)       # counted
    world.dossier(received=at(2, 2), due=at(2, 20), settled=at(3, 3), status=S.result_ready)          # counted
    world.dossier(received=at(3, 2), due=at(3, 10), settled=at(3, 10), status=S.result_ready)         # on time
    world.dossier(received=at(3, 2), due=at(3, 10), settled=at(4, 3), status=S.result_ready)          # after E
    assert world.row()["settled_late"] == 2


def test_statistics_column_on_time_pct__seed001(world):
    """settled on time ÷ (on time + late) × 100, one decimal, none when nothing was settled; seed 001's
    Sở Kế Hoạch và Đầu Tư: 93 / 95 = 97.9 %."""
    assert world.row()["on_time_pct"] is None
    world.dossier(received=at(3, 2), due=at(3, 10), status=S.in_processing)
    assert world.row()["on_time_pct"] is None                                    # open is not settled
    for day in range(93):
        moment = at(3, 2) + timedelta(hours=day)
        world.dossier(received=moment, due=moment + timedelta(days=5), settled=moment + timedelta(days=1),
                      status=S.result_ready)
    for day in range(2):
        world.dossier(received=at(3, 2), due=at(3, 5), settled=at(3, 9 + day), status=S.returned)
    assert world.row()["on_time_pct"] == 97.9


# --- in progress at the end ---------------------------------------------------------------------------


def test_statistics_column_in_progress_on_time__seed001(world):
    """Open at E, not waiting for a supplement at E, and not past the due time in force at C (E here)."""
    world.dossier(received=at(3, 10), due=at(4, 5))                                             # counted
    world.dossier(received=at(3, 10), due=END)                                                  # due at C: counted
    world.dossier(received=at(3, 3), due=at(4, 3),
                  supplements=[(at(3, 10), at(3, 17), at(3, 20), at(4, 3))])                    # current due
    world.dossier(received=at(3, 10), due=at(4, 5), settled=at(4, 2), status=S.result_ready)   # settled after E
    world.dossier(received=at(3, 10), due=at(3, 30))                                            # late
    world.dossier(received=at(3, 10), due=at(4, 5), settled=at(3, 28), status=S.result_ready)  # settled
    assert world.row()["in_progress_on_time"] == 4


def test_statistics_column_in_progress_late__seed001(world):
    """Open at E, not waiting at E, and past the due time in force at C. A supplement asked after E moved
    dossiers.due_at later; at E the dossier was already late by that request's previous_due_at."""
    world.dossier(received=at(3, 10), due=at(3, 30))                                            # counted
    world.dossier(received=at(2, 10), due=at(2, 20))                                            # carried, counted
    world.dossier(received=at(3, 2), due=at(4, 20),
                  supplements=[(at(4, 3), at(4, 6), at(3, 25), at(4, 20))])                     # stale: counted
    world.dossier(received=at(3, 10), due=at(4, 5))                                             # on time
    assert world.row()["in_progress_late"] == 3


def test_statistics_in_progress_judged_at_now_when_the_period_reaches_today__seed001(world):
    """C is now when the period ends in the future: a dossier due this afternoon is not late this morning."""
    world.dossier(received=at(4, 1), due=at(4, 10, 17))
    world.dossier(received=at(4, 1), due=at(4, 10, 8))
    row = world.row(now=at(4, 10, 9), date_from="2026-04-01", date_to="2026-04-10")
    assert (row["in_progress_on_time"], row["in_progress_late"]) == (1, 1)


# --- waiting at the end -------------------------------------------------------------------------------------


def test_statistics_column_waiting_supplement__seed001(world):
    """Open at E with a supplement request made before E and not supplied before E (Điều 9.3.b), whatever its
    due time; the API keeps the old key supplement_requested for it."""
    world.dossier(received=at(3, 2), due=at(3, 9), status=S.supplement_requested,
                  supplements=[(at(3, 5), None, at(3, 9), None)])                               # counted
    world.dossier(received=at(3, 2), due=at(4, 12),
                  supplements=[(at(3, 25), at(4, 3), at(4, 1), at(4, 12))])                     # supplied after E
    world.dossier(received=at(3, 2), due=at(3, 20),
                  supplements=[(at(3, 5), at(3, 8), at(3, 9), at(3, 20))])                      # supplied: late
    world.dossier(received=at(3, 2), due=at(4, 15), status=S.supplement_requested,
                  supplements=[(END, None, at(4, 15), None)])                                   # asked at E
    world.dossier(received=at(3, 2), due=at(3, 9), given_back=at(3, 20), status=S.withdrawn,
                  supplements=[(at(3, 5), None, at(3, 9), None)])                               # returned
    row = world.row()
    assert row["waiting_supplement"] == 2
    assert (row["in_progress_late"], row["in_progress_on_time"], row["returned"]) == (1, 1, 1)


def test_statistics_column_waiting_fee__seed001(world):
    """Điều 14.3.b: a level-4 result waits for the fee to be paid. The gateway keeps such a dossier settled (its
    settled_at is when the result was ready) and has no "waiting for the fee" data yet: the column is 0, marked
    "chưa có dữ liệu"."""
    procedure = factories.procedure(world.session, world.agency, level=4, fee_vnd=200_000)
    factories.postal_dossier(world.session, procedure=procedure, staff=world.staff, citizen=world.citizen,
                             entered_at=at(3, 2), due_at=at(3, 10), settled_at=at(3, 6), status=S.result_ready)
    row = world.row()
    assert "waiting_fee" in NO_DATA_KEYS
    assert (row["waiting_fee"], row["settled_on_time"]) == (0, 1)
    assert closes(row)


def _every_kind_of_open_dossier(world):
    world.dossier(received=at(3, 2), due=at(4, 9))
    world.dossier(received=at(3, 2), due=at(3, 9))
    world.dossier(received=at(3, 2), due=at(3, 9), status=S.supplement_requested,
                  supplements=[(at(3, 5), None, at(3, 9), None)])
    world.dossier(received=at(3, 2), due=at(3, 9), settled=at(3, 8), status=S.result_ready)  # result not collected
    world.dossier(received=at(3, 2), due=at(3, 9), status=S.overdue)


def test_statistics_column_waiting_citizen__seed001(world):
    """No data: nothing records a dossier waiting for the citizen (other than for a supplement). 0, marked
    "chưa có dữ liệu"; every open dossier is in another column and the row still closes."""
    _every_kind_of_open_dossier(world)
    row = world.row()
    assert "waiting_citizen" in NO_DATA_KEYS and row["waiting_citizen"] == 0
    assert closes(row) and row["to_settle"] == 5


def test_statistics_column_waiting_other__seed001(world):
    """No data for any other wait: 0, marked "chưa có dữ liệu"; the row closes without it."""
    _every_kind_of_open_dossier(world)
    row = world.row()
    assert "waiting_other" in NO_DATA_KEYS and row["waiting_other"] == 0
    assert closes(row) and row["in_progress_late"] + row["in_progress_on_time"] == 3


# --- returned -----------------------------------------------------------------------------------------


def test_statistics_column_returned__seed001(world):
    """Given back unsettled in the period: rejected after receipt (Điều 9.3.b's written reasons) or withdrawn
    (S ≤ given_back_at < E). A refusal at reception is not "Trả lại"; a result handed back is settled."""
    world.dossier(received=at(3, 2), given_back=at(3, 6), status=S.rejected)                    # counted
    world.dossier(received=at(2, 2), given_back=at(3, 6), status=S.withdrawn)                   # counted
    world.dossier(received=at(2, 2), given_back=at(2, 26), status=S.rejected)                   # before S
    world.dossier(received=at(3, 2), given_back=at(4, 6), status=S.rejected)                    # after E
    world.dossier(received=at(3, 2), due=at(3, 9), settled=at(3, 6), status=S.returned)         # settled
    world.submission(submitted=at(3, 3), history=[(S.refused, at(3, 4))])                       # refused
    row = world.row()
    assert row["returned"] == 2
    assert row["settled_on_time"] == 1


# --- the identities and the seed's row ----------------------------------------------------------------


def test_statistics_both_identities_hold_on_a_mixed_period__seed001(world):
    """Seed 001: total = carried (3) + received = settled on time + late + in progress (2) + waiting (4) +
    returned, on a period with every case above at once."""
    _every_kind_of_open_dossier(world)
    world.dossier(received=at(2, 10), due=at(2, 26), status=S.supplement_requested,
                  supplements=[(at(2, 20), None, at(2, 26), None)])
    world.dossier(received=at(2, 10), due=at(3, 25), supplements=[(at(3, 5), at(3, 9), at(2, 26), at(3, 25))])
    world.dossier(received=at(2, 10), due=at(3, 5), settled=at(3, 4), status=S.returned)
    world.dossier(received=at(3, 2), given_back=at(3, 6), status=S.rejected)
    world.dossier(received=at(3, 2), due=at(4, 20), supplements=[(at(4, 3), at(4, 6), at(3, 25), at(4, 20))])
    world.submission(submitted=at(3, 3), history=[(S.refused, at(3, 4))])
    row = world.row()
    assert row["to_settle"] == 10
    assert closes(row)


def test_statistics_reproduce_the_seed_row_of_so_ke_hoach_va_dau_tu__seed001(world):
    """Seed 001's surviving row for Sở Kế Hoạch và Đầu Tư: carried 2 | 0 | 1, received 123, total 126, settled
    93 on time and 2 late (97.9 %), in progress 12 on time and 6 late, waiting 1, returned 12 (the seed's four
    waiting values "1 12 0 0" are read as one waiting for a supplement and twelve given back)."""
    def many(count, **fields):
        for n in range(count):
            world.dossier(**{key: value + timedelta(minutes=n) if isinstance(value, datetime) else value
                             for key, value in fields.items()})

    many(2, received=at(2, 20), due=at(3, 5), settled=at(3, 4), status=S.returned)       # carried on time
    world.dossier(received=at(2, 10), due=at(3, 20), settled=at(3, 18), status=S.returned,
                  supplements=[(at(2, 15), at(3, 6), at(2, 24), at(3, 20))])             # carried waiting
    many(90, received=at(3, 2), due=at(3, 9), settled=at(3, 6), status=S.returned)
    many(2, received=at(3, 2), due=at(3, 9), settled=at(3, 12), status=S.returned)
    many(12, received=at(3, 20), due=at(4, 6))
    many(6, received=at(3, 10), due=at(3, 17), status=S.overdue)
    world.dossier(received=at(3, 10), due=at(3, 17), status=S.supplement_requested,
                  supplements=[(at(3, 12), None, at(3, 17), None)])
    many(12, received=at(3, 4), given_back=at(3, 8), status=S.rejected)
    row = world.row()
    seed = {"carried_on_time": 2, "carried_late": 0, "carried_waiting": 1, "received": 123, "to_settle": 126,
            "settled_on_time": 93, "settled_late": 2, "on_time_pct": 97.9, "in_progress_on_time": 12,
            "in_progress_late": 6, "waiting_supplement": 1, "waiting_fee": 0, "waiting_citizen": 0,
            "waiting_other": 0, "returned": 12}
    assert row == seed
    assert closes(row)


# --- the second table: Tiếp nhận qua bưu chính (not seed columns; Điều 21.1, 12.1) ------------------------


def test_statistics_reception_submitted__dieu_21_1(world):
    """Dossiers the post submitted in the period (S ≤ submitted_at < E), whatever became of them."""
    world.submission(submitted=START)
    world.submission(submitted=at(3, 10), history=[(S.refused, at(3, 11))])
    world.submission(submitted=at(3, 12), history=[(S.received, at(3, 12, 10))], received=at(3, 12, 10))
    world.submission(submitted=at(2, 27), history=[(S.received, at(3, 2))], received=at(3, 2))
    world.submission(submitted=END)
    assert world.reception()["submitted"] == 3


def test_statistics_reception_accepted__dieu_12_1_d(world):
    """Postal dossiers whose official receipt time falls in the period, the seed table's "received" for the post."""
    world.submission(submitted=at(2, 27), history=[(S.received, at(3, 2))], received=at(3, 2))
    world.submission(submitted=at(3, 12), history=[(S.received, at(3, 12, 10))], received=at(3, 12, 10))
    world.submission(submitted=at(3, 31, 17, 30), history=[(S.received, at(4, 1, 7))], received=at(4, 1, 7))
    world.submission(submitted=at(3, 10))
    assert world.reception()["accepted"] == 2 == world.row()["received"]


def test_statistics_reception_sent_back__dieu_12_1_c(world):
    """Dossiers sent back for completion in the period (form 02 before receipt), each counted once."""
    world.submission(submitted=at(3, 2), history=[(S.completion_requested, at(3, 3)), (S.submitted, at(3, 6)),
                                                  (S.completion_requested, at(3, 9))])
    world.submission(submitted=at(2, 20), history=[(S.completion_requested, at(3, 1, 8))])
    world.submission(submitted=at(2, 20), history=[(S.completion_requested, at(2, 21))])
    world.submission(submitted=at(3, 30), history=[(S.completion_requested, at(4, 1, 8))])
    assert world.reception()["sent_back"] == 2


def test_statistics_reception_refused__dieu_9_1_b(world):
    """Dossiers refused at reception in the period (form 03); not "Trả lại" of the seed's table."""
    world.submission(submitted=at(3, 2), history=[(S.refused, at(3, 3))])
    world.submission(submitted=at(2, 26), history=[(S.refused, at(3, 2))])
    world.submission(submitted=at(2, 20), history=[(S.refused, at(2, 23))])
    world.submission(submitted=at(3, 31), history=[(S.refused, at(4, 1, 8))])
    assert world.reception()["refused"] == 2
    assert world.row()["returned"] == 0


def test_statistics_reception_awaiting_acceptance_at_end__dieu_12_1_a(world):
    """Submitted before E and, at E, still waiting for the agency: status submitted (a resubmission after a
    completion request included), not yet received."""
    world.submission(submitted=at(3, 30))                                                            # counted
    world.submission(submitted=at(2, 10))                                                            # counted
    world.submission(submitted=at(3, 20), history=[(S.completion_requested, at(3, 21)), (S.submitted, at(3, 25))])
    world.submission(submitted=at(3, 31, 17, 30), history=[(S.received, at(4, 1, 7))], received=at(4, 1, 7))
    world.submission(submitted=at(3, 20), history=[(S.completion_requested, at(3, 28))])             # citizen's turn
    world.submission(submitted=at(3, 20), history=[(S.refused, at(3, 21))])
    world.submission(submitted=at(3, 20), history=[(S.withdrawn, at(3, 21))])
    world.submission(submitted=at(3, 20), history=[(S.received, at(3, 21))], received=at(3, 21))
    world.submission(submitted=END)
    assert world.reception()["awaiting_acceptance"] == 4


def test_statistics_reception_median_working_time_submitted_to_received__dieu_12_1_d(world):
    """The median, in working hours on the agency's calendar (07:00–11:30, 13:30–17:00), from the post's
    submission to the official receipt, over the postal dossiers received in the period: nights, the weekend
    and the lunch break do not count."""
    assert world.reception()["median_working_hours"] is None
    world.submission(submitted=at(3, 2, 8), history=[(S.received, at(3, 2, 10))], received=at(3, 2, 10))  # 2 h
    world.submission(submitted=at(3, 6, 16), history=[(S.received, at(3, 9, 9, 30))],
                     received=at(3, 9, 9, 30))                                             # Fri 1 h + Mon 2.5 h
    world.submission(submitted=at(3, 10, 11), history=[(S.received, at(3, 10, 14))], received=at(3, 10, 14))  # 1 h
    world.submission(submitted=at(2, 27, 16, 30), history=[(S.received, at(3, 2, 7, 30))],
                     received=at(3, 2, 7, 30))                                             # Fri 0.5 h + Mon 0.5 h
    world.submission(submitted=at(3, 31, 8), history=[(S.received, at(4, 1, 8))], received=at(4, 1, 8))  # next
    assert world.reception()["median_working_hours"] == 1.5                                # (1 + 2) / 2
    world.submission(submitted=at(3, 11, 7), history=[(S.received, at(3, 11, 17))], received=at(3, 11, 17))  # 8 h
    assert world.reception()["median_working_hours"] == 2.0


def test_statistics_working_clock_agrees_with_the_working_calendar__dieu_12_1_d():
    """The median's constant-time working clock gives the calendar's own working time between any two instants:
    across weekends, the lunch break, the Tết holidays of 2026 and an agency's own office hours."""
    instants = [at(2, 12, 16, 45), at(2, 13, 11), at(2, 14, 9), at(2, 23, 7, 15), at(2, 27, 16, 30), at(3, 2, 7, 30),
                at(3, 2, 12), at(3, 6, 17, 30), at(3, 9, 13, 31), at(4, 1, 0, 1)]
    for periods in (None, [["07:30", "11:30"], ["13:00", "16:30"]]):
        working = calendar.active_calendar(calendar.periods_from_config(periods))
        clock = _WorkingClock(working, 7 * 3600, instants[0].timestamp(), instants[-1].timestamp())
        for first in instants:
            for last in instants:
                if first < last:
                    expected = working.working_time_between(first, last).total_seconds()
                    assert clock.seconds(last.timestamp()) - clock.seconds(first.timestamp()) == expected, (first, last)


def test_statistics_median_in_sql_agrees_with_python_over_a_holiday_and_a_make_up_day__dieu_12_1_d(world):
    """PostgreSQL's median working hours (per-day running totals joined by local day, periods by CASE) are the
    Python clock's to the last figure, on two agencies with their own periods, across the working Saturday
    26/04/2025 and the holidays 30/04-02/05/2025 (official calendar); a dossier submitted before the days the
    query is given sends the whole period to the Python path, with the same figures."""
    session = world.session

    def local(month, day, hour, minute=0, second=0, micro=0):
        return datetime(2025, month, day, hour, minute, second, micro, tzinfo=VIETNAM)

    start, end = local(4, 1, 0), local(6, 1, 0)
    other = factories.agency(session, working_periods=[["07:30", "11:30"], ["13:00", "16:30"]])
    spans = [(local(4, 25, 16), local(4, 28, 8)),              # Fri, the working Saturday, Mon
             (local(4, 26, 10, 15, 30, 250000), local(4, 26, 14)),  # within the working Saturday
             (local(4, 29, 15), local(5, 5, 9, 30)),               # across the three holidays and a weekend
             (local(5, 2, 9), local(5, 5, 9)),                     # submitted on a holiday
             (local(4, 1, 12), local(4, 1, 13, 45)),               # the lunch break
             (local(3, 31, 16, 59, 59, 999999), local(4, 1, 7, 0, 0, 1))]
    for index, (submitted, received) in enumerate(spans):
        world.submission(submitted=submitted, history=[(S.received, received)], received=received)
        if index % 2:  # every other one to the agency with its own hours
            session.get(Dossier, session.query(Dossier.id).order_by(Dossier.id.desc()).first()[0]).agency_id = other.id
    session.flush()
    agencies = [world.agency, other]
    in_sql = _medians_in_sql(session, start, end, agencies)
    assert in_sql is not None
    assert in_sql == _medians_in_python(session, start, end, agencies)
    # and the figure is the calendar's own: Fri 16:00-17:00 1 h, Sat 26/04 8 h, Mon 07:00-08:00 1 h
    default = calendar.active_calendar(calendar.periods_from_config(None))
    assert default.working_time_between(*spans[0]).total_seconds() == 10 * 3600
    ours = sorted(default.working_time_between(a, b).total_seconds() / 3600 for a, b in spans[0::2])
    assert in_sql[0][world.agency.id] == round(ours[1], 1)
    assert in_sql[0][other.id] is not None and in_sql[1] is not None

    early = local(4, 1, 0) - timedelta(days=_DAYS_BEFORE + 3)
    world.submission(submitted=early, history=[(S.received, local(4, 2, 9))], received=local(4, 2, 9))
    session.flush()
    assert _medians_in_sql(session, start, end, agencies) is None
    assert _medians(session, start, end, agencies) == _medians_in_python(session, start, end, agencies)


def test_statistics_apologies_counted_by_the_body_that_wrote_them_and_second_supplements__dieu_9_3_d_10_2_g(world):
    """The second table counts the Phiếu xin lỗi issued in the period by who wrote them (the processing agency,
    Điều 9.3.d; a cooperating agency, 10.2.g; the one-stop office for a reception error, 9.4.b, 10.2.đ) and the
    supplement requests the reception error caused; letters outside the period are not counted."""
    session = world.session
    other = factories.agency(session)
    late = world.dossier(received=at(2, 1), due=at(2, 20))
    asked = OpinionRequest(dossier_id=late.id, agency_id=other.id, asked_by_id=world.officer.id, asked_at=at(2, 5),
                           question="Ý kiến?", due_at=at(2, 10))
    session.add(asked)
    session.flush()

    def letter(number, issued, kind="processing_agency", **fields):
        row = ApologyLetter(dossier_id=late.id, number=number, issued_by_id=world.officer.id, issued_at=issued,
                            reason="Trễ", missed_due_at=at(2, 20), previous_appointment_date=date(2026, 2, 20),
                            new_appointment_date=date(2026, 4, 20), issuer_kind=kind,
                            issuer_agency_id=world.agency.id, **fields)
        session.add(row)
        session.flush()
        return row

    letter(1, at(3, 2))
    letter(2, at(2, 25))  # before the period
    letter(3, at(3, 5), "cooperating_agency", opinion_request_id=asked.id)
    one_stop = letter(4, at(3, 6), "one_stop_office", cause="reception_error")
    session.add(SupplementRequest(dossier_id=late.id, requested_by_id=world.officer.id, requested_at=at(3, 6),
                                  reasons=["Bản sao"], spent_seconds=0, remaining_seconds=3600,
                                  previous_due_at=at(2, 20), cause="reception_error", apology_letter_id=one_stop.id))
    row = world.reception()
    assert (row["apologies_processing_agency"], row["apologies_cooperating_agency"], row["apologies_one_stop_office"],
            row["reception_error_supplements"]) == (1, 1, 1, 1)
    # the letters change nothing of the seed's columns: an apology never moves the due time (plan D6)
    assert world.row()["carried_late"] == 1
