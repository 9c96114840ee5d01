"""A postal worker's day: shift, cash book, remittance to the cashier, and the agency statement."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from contracts import cashbook
from contracts.models import Remittance, ShiftStatus
from postal_gateway.accounts.models import Role
from postal_gateway.core.domain import Conflict, Forbidden, InvalidInput
from postal_gateway.dossiers.models import CollectionMethod, PaymentKind
from tests import factories

MORNING = datetime(2026, 3, 2, 0, 30, tzinfo=timezone.utc)  # 07:30 in Vietnam


@pytest.fixture()
def day(session):
    agency = factories.agency(session, province_code="70", district_code="689")
    other_agency = factories.agency(session, province_code="70", district_code="689")
    procedure = factories.procedure(session, agency, fee_vnd=100_000)
    other_procedure = factories.procedure(session, other_agency, fee_vnd=30_000)
    office = factories.post_office(session, province_code="70", district_code="689")
    worker = factories.user(session, Role.postal_staff, post_office_id=office.id)
    cashier = factories.user(session, Role.postal_staff, post_office_id=office.id)
    citizen = factories.user(session)
    shift = cashbook.open_shift(session, worker_id=worker.id, now=MORNING)

    def collect(proc, minutes, *amounts, by=worker):
        dossier = factories.dossier(session, proc.agency, proc, citizen, received_at=MORNING + timedelta(minutes=minutes),
                                    post_office_id=office.id)
        for kind, method, vnd in amounts:
            factories.amount_collected(session, dossier, kind, vnd, method=method, by=by,
                                       at=MORNING + timedelta(minutes=minutes))
        return dossier

    fee, postage = PaymentKind.fee, PaymentKind.postage
    cash, cob, online = CollectionMethod.cash, CollectionMethod.collection_on_behalf, CollectionMethod.online
    collect(procedure, 30, (fee, cash, 100_000), (postage, cash, 22_000))
    collect(procedure, 90, (fee, cob, 100_000), (postage, cob, 27_500))
    collect(other_procedure, 120, (fee, cash, 30_000))
    collect(procedure, 150, (fee, online, 100_000), (postage, cash, 22_000))   # fee paid online: not in the till
    collect(procedure, 160, (fee, cash, 100_000), by=cashier)                  # someone else's book
    return dict(agency=agency, other_agency=other_agency, worker=worker, cashier=cashier, shift=shift, office=office)


def test_a_days_cash_book_balances(session, day):
    book = cashbook.close_shift(session, shift_id=day["shift"].id, worker_id=day["worker"].id,
                                now=MORNING + timedelta(hours=9))
    assert book.fee_vnd == 230_000 and book.postage_vnd == 71_500 and book.total_vnd == 301_500
    assert book.dossier_count == 4 and len(book.lines) == 6
    assert book.by_method() == {"cash": 174_000, "collection_on_behalf": 127_500}
    remittance = cashbook.remit(session, shift_id=day["shift"].id, cashier_id=day["cashier"].id,
                                fee_vnd="230.000", postage_vnd=71_500, handed_vnd=301_500,
                                now=MORNING + timedelta(hours=9, minutes=15))
    assert remittance.discrepancy_vnd == 0 and day["shift"].status is ShiftStatus.remitted
    with pytest.raises(Conflict):
        cashbook.remit(session, shift_id=day["shift"].id, cashier_id=day["cashier"].id, fee_vnd=0, postage_vnd=0,
                       handed_vnd=0, now=MORNING + timedelta(hours=10))


def test_shortfall_is_recorded_with_a_reason(session, day):
    cashbook.close_shift(session, shift_id=day["shift"].id, worker_id=day["worker"].id, now=MORNING + timedelta(hours=9))
    later = MORNING + timedelta(hours=9, minutes=5)
    with pytest.raises(InvalidInput) as caught:
        cashbook.remit(session, shift_id=day["shift"].id, cashier_id=day["cashier"].id,
                       fee_vnd=230_000, postage_vnd=70_000, handed_vnd=300_000, now=later)
    assert [e.field for e in caught.value.field_errors] == ["reason"]
    remittance = cashbook.remit(session, shift_id=day["shift"].id, cashier_id=day["cashier"].id,
                                fee_vnd=230_000, postage_vnd=70_000, handed_vnd=300_000,
                                reason="Trả lại tiền thừa nhầm cho khách", now=later)
    assert (remittance.expected_vnd, remittance.discrepancy_vnd) == (301_500, -1_500)


def test_a_remittance_that_does_not_add_up_is_refused(session, day):
    cashbook.close_shift(session, shift_id=day["shift"].id, worker_id=day["worker"].id, now=MORNING + timedelta(hours=9))
    with pytest.raises(InvalidInput) as caught:
        cashbook.remit(session, shift_id=day["shift"].id, cashier_id=day["cashier"].id,
                       fee_vnd=230_000, postage_vnd=71_500, handed_vnd=300_000, now=MORNING + timedelta(hours=10))
    assert [e.field for e in caught.value.field_errors] == ["handed_vnd"]
    with pytest.raises(InvalidInput) as caught:
        cashbook.remit(session, shift_id=day["shift"].id, cashier_id=day["cashier"].id,
                       fee_vnd=-1, postage_vnd="1,5", handed_vnd="nhiều", now=MORNING + timedelta(hours=10))
    assert {e.field for e in caught.value.field_errors} == {"fee_vnd", "postage_vnd", "handed_vnd"}
    assert session.scalar(select(func.count()).select_from(Remittance)) == 0
    assert day["shift"].status is ShiftStatus.closed


def test_shift_rules(session, day):
    with pytest.raises(Conflict):
        cashbook.open_shift(session, worker_id=day["worker"].id, now=MORNING + timedelta(hours=1))
    with pytest.raises(Conflict):  # cannot hand in an open shift
        cashbook.remit(session, shift_id=day["shift"].id, cashier_id=day["cashier"].id, fee_vnd=0,
                       postage_vnd=0, handed_vnd=0, now=MORNING + timedelta(hours=1))
    with pytest.raises(Forbidden):
        cashbook.close_shift(session, shift_id=day["shift"].id, worker_id=day["cashier"].id, now=MORNING + timedelta(hours=9))
    cashbook.close_shift(session, shift_id=day["shift"].id, worker_id=day["worker"].id, now=MORNING + timedelta(hours=9))
    with pytest.raises(Forbidden):  # nobody takes their own cash
        cashbook.remit(session, shift_id=day["shift"].id, cashier_id=day["worker"].id, fee_vnd=0,
                       postage_vnd=0, handed_vnd=0, reason="x", now=MORNING + timedelta(hours=10))
    with pytest.raises(Conflict):  # a new shift cannot start inside the last one
        cashbook.open_shift(session, worker_id=day["worker"].id, now=MORNING + timedelta(hours=8))
    citizen = factories.user(session)
    with pytest.raises(Forbidden):
        cashbook.open_shift(session, worker_id=citizen.id, now=MORNING)


def test_fee_statement_per_agency(session, day):
    start, end = MORNING - timedelta(hours=1), MORNING + timedelta(days=1)
    statement = cashbook.fee_statement(session, agency_id=day["agency"].id, start=start, end=end)
    # cash, on behalf, and the cashier's own cash fee; the online fee went straight to the agency
    assert statement.total_vnd == 300_000 and len(statement.lines) == 3
    assert statement.by_method() == {"cash": 200_000, "collection_on_behalf": 100_000}
    assert statement.csv_rows()[0][0] == "dossier_code" and len(statement.csv_rows()) == 4
    other = cashbook.fee_statement(session, agency_id=day["other_agency"].id, start=start, end=end)
    assert other.total_vnd == 30_000
    with pytest.raises(InvalidInput):
        cashbook.fee_statement(session, agency_id=day["agency"].id, start=end, end=start)
