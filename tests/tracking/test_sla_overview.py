"""The managers' SLA page computed by the database (issue 16, item 7): the counts by state, the page of rows and
the on-time share per office and week are those tracking.sla.clock_state gives for each leg (the return leg's
24-hour commitment clock counting beside its zone time, Điều 25.2), every row is reachable page by page, and the
same SQL runs on SQLite (`make run`)."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.orm import Session

from contracts.models import Leg
from postal_gateway.accounts.models import Role
from postal_gateway.core.formatting import to_local
from tests import factories
from tracking import reports
from tracking.models import LegState, ShipmentLeg
from tracking.sla import SlaState, clock_state

VN = timezone(timedelta(hours=7))
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=VN)
SHARE = 0.75
ORDER = {SlaState.breached: 0, SlaState.at_risk: 1, SlaState.on_time: 2}


def _world(session, seed: int, legs: int = 40):
    """Legs of every shape: open and finished, forward and return, no due time, due passed, at risk, finished
    late, finished more than 12 weeks ago (out of view), at two post offices."""
    rng = random.Random(seed)
    offices = [factories.post_office(session), factories.post_office(session)]
    staff = [factories.user(session, Role.postal_staff, post_office=office) for office in offices]
    made = []
    for n in range(legs):
        worker = staff[n % 2]
        dossier = factories.postal_dossier(session, staff=worker, entered_at=NOW - timedelta(days=100))
        kind = Leg.return_ if rng.random() < 0.4 else Leg.forward
        started = NOW - timedelta(hours=rng.randint(1, 24 * 95))
        allowed = timedelta(hours=rng.choice([0, 6, 24, 72, 200]))
        due = None if rng.random() < 0.1 else started + allowed
        commitment = started + timedelta(hours=rng.choice([12, 24])) if kind == Leg.return_ else None
        completed = None
        if rng.random() < 0.5:
            completed = started + timedelta(hours=rng.randint(1, 150))
            completed = min(completed, NOW - timedelta(minutes=1))
        leg = ShipmentLeg(dossier_id=dossier.id, kind=kind, post_office_id=worker.post_office_id,
                          state=LegState.delivered if completed else LegState.in_transit, started_at=started,
                          due_at=due, due_basis="default", commitment_due_at=commitment, completed_at=completed)
        session.add(leg)
        made.append((dossier, leg))
    session.flush()
    return made, offices


def _expected(made, *, post_office_id=None):
    """What the page showed when it computed every state in Python (the definition)."""
    since = NOW - timedelta(weeks=reports.WEEKS)
    rows = []
    for dossier, leg in made:
        if leg.completed_at is not None and leg.completed_at < since:
            continue
        if post_office_id is not None and leg.post_office_id != post_office_id:
            continue
        sla = clock_state(started_at=leg.started_at, due_at=leg.due_at, now=NOW, stopped_at=leg.completed_at,
                          at_risk_share=SHARE)
        commitment = clock_state(started_at=leg.started_at, due_at=leg.commitment_due_at, now=NOW,
                                 stopped_at=leg.completed_at, at_risk_share=SHARE)
        states = [s for s in (sla, commitment) if s is not None]
        urgency = min(states, key=ORDER.get) if states else None
        first_due = min(filter(None, (leg.due_at, leg.commitment_due_at)), default=NOW)
        rows.append((dossier, leg, sla, urgency, first_due))
    open_rows = [r for r in rows if r[1].completed_at is None]
    counts = {s.value: sum(1 for r in open_rows if r[3] == s) for s in SlaState}
    counts["done"] = len(rows) - len(open_rows)
    ordered = sorted(open_rows, key=lambda r: (ORDER.get(r[3], 3), r[4], r[1].id))
    weeks = {}
    for dossier, leg, sla, _, _ in rows:
        if leg.completed_at is None:
            continue
        year, week, _ = to_local(leg.completed_at).isocalendar()
        key = (leg.post_office.code, f"{year}-W{week:02d}")
        done, timely = weeks.get(key, (0, 0))
        weeks[key] = (done + 1, timely + (sla == SlaState.on_time))
    return counts, ordered, weeks


def _check(session, made, offices, monkeypatch):
    monkeypatch.setattr(reports, "PAGE_ROWS", 7)
    for office_id in (None, offices[0].id):
        counts, ordered, weeks = _expected(made, post_office_id=office_id)
        first = reports.overview(session, now=NOW, at_risk_share=SHARE, post_office_id=office_id)
        assert first.counts == counts
        assert first.total == len(ordered) and first.pages == -(-len(ordered) // 7)
        shown = []
        for page in range(1, first.pages + 1):
            shown += [row.code for row in reports.overview(session, now=NOW, at_risk_share=SHARE,
                                                           post_office_id=office_id, page=page).rows]
        assert shown == [dossier.ref for dossier, *_ in ordered]  # every open leg, once, in the page's order
        assert {(w.office, w.week): (w.done, w.on_time) for w in first.weeks} == weeks
        for state in SlaState:
            only = reports.overview(session, now=NOW, at_risk_share=SHARE, post_office_id=office_id,
                                    state=state.value)
            assert only.total == counts[state.value]
            assert all(row.urgency == state for row in only.rows)
        # a page past the end shows the last one, never an empty page
        assert reports.overview(session, now=NOW, at_risk_share=SHARE, post_office_id=office_id,
                                page=999).page == first.pages


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_database_computes_what_the_clocks_say(session, monkeypatch, seed):
    made, offices = _world(session, seed)
    _check(session, made, offices, monkeypatch)


def test_the_same_page_on_sqlite_as_in_make_run(tmp_path, monkeypatch):
    from postal_gateway.core.db import make_engine
    from postal_gateway.models import metadata

    engine = make_engine(f"sqlite:///{tmp_path / 'page.sqlite'}")
    metadata.create_all(engine)
    with Session(engine) as own:
        made, offices = _world(own, 4, legs=25)
        own.commit()
        _check(own, made, offices, monkeypatch)
    engine.dispose()
