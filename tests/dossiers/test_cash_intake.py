"""Cash taken at intake always lands in a cash book (Điều 23.4: the post collects lệ phí for the agency and
accounts for them): the first cash or thu hộ intake of a worker's day opens their shift, the database refuses a
cash row outside a shift, and the shift's book and remittance show every amount."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from contracts import cashbook
from contracts.models import CashShift, ShiftStatus
from postal_gateway.accounts.models import Role, User
from postal_gateway.core.domain import Conflict
from postal_gateway.dossiers.models import CollectedAmount, CollectionMethod, CollectionPlace, Dossier, PaymentKind
from postal_gateway.dossiers.services import CollectedPayment, PostalSubmission, submit
from tests import factories
from tests.concurrency import all_at_once
from tests.conftest import log_in

MB = 1024 * 1024
# Tuesday 8 December 2026, 08:00 in Vietnam
TUESDAY_8H = datetime(2026, 12, 8, 1, 0, tzinfo=timezone.utc)
CASH, ON_BEHALF = CollectionMethod.cash, CollectionMethod.collection_on_behalf


def png_bytes(colour=(200, 10, 10)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture()
def counter(session):
    agency = factories.agency(session)
    office = factories.post_office(session, name="Bưu cục Đồng Xoài")
    worker = factories.user(session, Role.postal_staff, full_name="Trần Thị Bưu", post_office_id=office.id)
    citizen = factories.user(session, Role.citizen)
    factories.consent(session, citizen, worker, now=datetime(2020, 1, 1, tzinfo=timezone.utc),
                      valid_until=datetime(2099, 1, 1, tzinfo=timezone.utc))
    return dict(
        office=office,
        # the two intakes: 94.000 đồng of lệ phí in cash, then 30.000 lệ phí + 25.000 cước thu hộ
        big=factories.procedure(session, agency, fee_vnd=94_000, level=3),
        small=factories.procedure(session, agency, fee_vnd=30_000, level=3),
        online=factories.procedure(session, agency, fee_vnd=40_000, level=4),
        worker=worker,
        cashier=factories.user(session, Role.postal_staff, post_office_id=office.id),
        citizen=citizen,
    )


def intake(session, counter, procedure, *, at, key, staff=None, fee_method=CASH, postage_vnd=0,
           postage_method=CASH):
    staff = staff or counter["worker"]
    items = [item.id for item in procedure.checklist]
    return submit(session, PostalSubmission(
        staff=staff, citizen=counter["citizen"], procedure_code=procedure.code, checklist_ticked=items,
        scans=[(item_id, f"tep{item_id}.png", png_bytes((item_id % 255, 0, 0))) for item_id in items],
        collection_place=CollectionPlace.post_office, pickup_address="", delivery_address="12 Trần Hưng Đạo",
        fee_collected=CollectedPayment(procedure.fee_vnd, fee_method) if fee_method else None,
        postage_vnd=postage_vnd,
        postage_collected=CollectedPayment(postage_vnd, postage_method) if postage_vnd else None,
        submission_key=key, max_scan_bytes=MB, entered_at=at,
    ))


def test_two_cash_intakes_with_no_shift_open_land_in_a_shift_opened_by_the_first__dieu_23_4(session, counter):
    """Điều 23.4: with no shift open, 94.000 đ in cash and 55.000 đ (cash and thu hộ) are both lines of the shift
    the first intake opened; the worker closes it and the cashier expects 149.000 đ."""
    assert cashbook.current_shift(session, worker_id=counter["worker"].id) is None
    first = intake(session, counter, counter["big"], at=TUESDAY_8H, key="k1")
    second = intake(session, counter, counter["small"], at=TUESDAY_8H + timedelta(minutes=40), key="k2",
                    postage_vnd=25_000, postage_method=ON_BEHALF)
    shift = session.scalars(select(CashShift).where(CashShift.worker_id == counter["worker"].id)).one()
    assert first.opened_shift is shift and second.opened_shift is None
    assert (shift.status, shift.opened_at, shift.post_office_id) == (ShiftStatus.open, TUESDAY_8H, counter["office"].id)
    amounts = session.scalars(select(CollectedAmount)).all()
    assert len(amounts) == 3 and {amount.shift_id for amount in amounts} == {shift.id}

    book = cashbook.cash_book(session, shift, now=TUESDAY_8H + timedelta(hours=1))
    assert (book.fee_vnd, book.postage_vnd, book.total_vnd, book.dossier_count) == (124_000, 25_000, 149_000, 2)
    assert book.by_method() == {"cash": 124_000, "collection_on_behalf": 25_000}
    # a dossier not yet accepted has no code: its line carries the shipment number
    assert {line.dossier_code for line in book.lines} == {first.dossier.shipment_number, second.dossier.shipment_number}

    closed = cashbook.close_shift(session, shift_id=shift.id, worker_id=counter["worker"].id,
                                  now=TUESDAY_8H + timedelta(hours=9))
    assert closed.total_vnd == 149_000
    remittance = cashbook.remit(session, shift_id=shift.id, cashier_id=counter["cashier"].id, fee_vnd=124_000,
                                postage_vnd=25_000, handed_vnd=149_000, now=TUESDAY_8H + timedelta(hours=9, minutes=5))
    assert (remittance.expected_vnd, remittance.discrepancy_vnd) == (149_000, 0)


def test_the_database_refuses_a_cash_or_on_behalf_row_without_a_shift__dieu_23_4(session, counter):
    """Điều 23.4: whatever code writes it, a cash or thu hộ amount outside a shift cannot be stored; money paid
    online (VNPay, straight to the agency) belongs to no till."""
    dossier = intake(session, counter, counter["online"], at=TUESDAY_8H, key="k1", fee_method=None).dossier
    for method in (CASH, ON_BEHALF):
        with pytest.raises(IntegrityError, match="ck_collected_amounts_cash_in_a_shift"):
            with session.begin_nested():
                session.add(CollectedAmount(dossier_id=dossier.id, kind=PaymentKind.fee, method=method,
                                            amount_vnd=40_000, collected_by_id=counter["worker"].id,
                                            collected_at=TUESDAY_8H))
    with session.begin_nested():
        session.add(CollectedAmount(dossier_id=dossier.id, kind=PaymentKind.fee, method=CollectionMethod.online,
                                    amount_vnd=40_000, collected_at=TUESDAY_8H))
    assert session.scalar(select(func.count(CollectedAmount.id))) == 1


def test_an_intake_without_cash_opens_no_shift(session, counter):
    """A level-4 fee left for online payment and no postage: no money changes hands, no shift is opened."""
    outcome = intake(session, counter, counter["online"], at=TUESDAY_8H, key="k1", fee_method=None)
    assert outcome.opened_shift is None and session.scalar(select(func.count(CashShift.id))) == 0


def test_after_the_worker_closed_their_shift_the_next_cash_intake_opens_a_new_one__dieu_23_4(session, counter):
    """Điều 23.4: a closed shift takes no more money; the next cash intake opens the worker's next shift."""
    morning = intake(session, counter, counter["big"], at=TUESDAY_8H, key="k1").opened_shift
    cashbook.close_shift(session, shift_id=morning.id, worker_id=counter["worker"].id,
                         now=TUESDAY_8H + timedelta(hours=4))
    afternoon = intake(session, counter, counter["small"], at=TUESDAY_8H + timedelta(hours=6), key="k2").opened_shift
    assert afternoon is not None and afternoon.id != morning.id and afternoon.status is ShiftStatus.open
    assert cashbook.cash_book(session, morning, now=TUESDAY_8H + timedelta(hours=7)).total_vnd == 94_000
    assert cashbook.cash_book(session, afternoon, now=TUESDAY_8H + timedelta(hours=7)).total_vnd == 30_000


def test_an_office_manager_taking_cash_at_the_counter_has_a_shift_too__dieu_23_4(session, counter):
    """Điều 23.4: the office manager holds every right of the office's postal staff, and their cash is in their
    own shift at their office, not in a worker's."""
    manager = factories.user(session, Role.office_manager, post_office_id=counter["office"].id)
    outcome = intake(session, counter, counter["big"], at=TUESDAY_8H, key="k1", staff=manager)
    shift = outcome.opened_shift
    assert (shift.worker_id, shift.post_office_id) == (manager.id, counter["office"].id)
    assert cashbook.current_shift(session, worker_id=counter["worker"].id) is None
    assert cashbook.cash_book(session, shift, now=TUESDAY_8H + timedelta(hours=1)).total_vnd == 94_000


def test_a_shift_left_open_at_another_office_refuses_the_cash_intake_and_saves_nothing(session, counter):
    """The money of two offices never shares a till: a worker moved to another office with a shift still open
    at the first is asked to close it, and the intake writes nothing."""
    shift = cashbook.open_shift(session, worker_id=counter["worker"].id, now=TUESDAY_8H - timedelta(hours=1))
    counter["worker"].post_office_id = factories.post_office(session).id
    session.flush()
    factories.consent(session, counter["citizen"], counter["worker"], now=TUESDAY_8H - timedelta(days=1))
    with pytest.raises(Conflict, match="bưu cục khác"):
        with session.begin_nested():
            intake(session, counter, counter["big"], at=TUESDAY_8H, key="k1")
    assert session.scalar(select(func.count(Dossier.id))) == 0
    assert session.scalars(select(CashShift)).all() == [shift]


def _open_wizard_and_submit(client, counter, procedure, postage_method: str):
    started = client.post("/intake", data={"citizen_id": counter["citizen"].id, "procedure_code": procedure.code})
    wizard = re.search(r"/intake/([0-9a-f]{32})/checklist", started.headers["Location"]).group(1)
    items = [item.id for item in procedure.checklist]
    assert client.post(f"/intake/{wizard}/checklist", data={"item": items}).status_code == 302
    assert client.post(f"/intake/{wizard}/scans", content_type="multipart/form-data",
                       data={f"scan_{item}": (io.BytesIO(png_bytes((item % 255, 1, 1))), f"{item}.png")
                             for item in items}).status_code == 302
    assert client.post(f"/intake/{wizard}/collection",
                       data={"collection_place": "post_office", "fee_method": "cash", "postage_vnd": "25.000",
                             "postage_method": postage_method}).status_code == 302
    return client.post(f"/intake/{wizard}/review")


def test_the_cash_book_page_shows_the_intakes_taken_with_no_shift_open__dieu_23_4(client, session, counter):
    """Điều 23.4, through the pages: two intakes at the counter with no shift open; the worker is told a shift
    opened, and their cash book page lists both dossiers and the 149.000 đ to hand over."""
    session.commit()
    log_in(client, counter["worker"])
    assert "Chưa có ca nào" in client.get("/cash").get_data(as_text=True)
    first = _open_wizard_and_submit(client, counter, counter["big"], "cash").headers["Location"]  # 94.000 + 25.000
    assert "Đã tự mở ca thu tiền" in client.get(first).get_data(as_text=True)
    # 30.000 + 25.000 thu hộ
    second = _open_wizard_and_submit(client, counter, counter["small"], "collection_on_behalf").headers["Location"]
    assert "Đã tự mở ca thu tiền" not in client.get(second).get_data(as_text=True)

    page = client.get("/cash").get_data(as_text=True)
    assert "Ca đang mở từ" in page and "Chưa có ca nào" not in page and "Chưa thu khoản nào" not in page
    for url in (first, second):
        assert url.rsplit("/", 1)[1] in page
    assert "174.000" in page  # 94.000 + 25.000 + 30.000 + 25.000
    shift = session.scalars(select(CashShift).where(CashShift.worker_id == counter["worker"].id)).one()
    assert cashbook.cash_book(session, shift, now=shift.opened_at).total_vnd == 174_000


@pytest.mark.commits  # two threads, two connections
def test_two_first_cash_intakes_at_once_open_one_shift__dieu_23_4(app, session, counter):
    """Điều 23.4: two intakes of the same worker at the same moment, with no shift open (two phones, or a double
    tap with two keys), open one shift between them and both amounts are in its book."""
    session.commit()
    ids = {name: counter[name].id for name in ("worker", "citizen")}

    def take(own, index):
        mine = dict(counter, worker=own.get(User, ids["worker"]), citizen=own.get(User, ids["citizen"]))
        intake(own, mine, own.merge(counter["big"]), at=TUESDAY_8H + timedelta(seconds=index), key=f"k{index}")

    _results, failures = all_at_once(app, take, 2, timeout=60)
    assert not failures
    session.expire_all()
    shift = session.scalars(select(CashShift).where(CashShift.worker_id == ids["worker"])).one()
    assert cashbook.cash_book(session, shift, now=TUESDAY_8H + timedelta(hours=1)).total_vnd == 2 * 94_000


def test_the_review_page_says_why_when_a_shift_is_open_at_another_office(client, session, counter):
    """The worker moved office with a shift still open: the review page says so (409), nothing is saved."""
    cashbook.open_shift(session, worker_id=counter["worker"].id, now=TUESDAY_8H)
    counter["worker"].post_office_id = factories.post_office(session).id
    session.flush()
    factories.consent(session, counter["citizen"], counter["worker"], now=datetime(2020, 1, 1, tzinfo=timezone.utc),
                      valid_until=datetime(2099, 1, 1, tzinfo=timezone.utc))
    session.commit()
    log_in(client, counter["worker"])
    refused = _open_wizard_and_submit(client, counter, counter["big"], "cash")
    assert refused.status_code == 409 and "bưu cục khác" in refused.get_data(as_text=True)
    assert session.scalar(select(func.count(Dossier.id))) == 0
