"""Refund of a lệ phí taken in cash or on behalf (Điều 14.2.c): a dossier the agency could not handle (refused at
reception, rejected, withdrawn) is flagged, the agency admin authorises, a postal worker of the holding office
pays it out of an open shift's till, the cash book and the remittance show it, the agency's statement nets it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from contracts import cash_refunds, cashbook
from contracts.models import CashRefund
from payments.services import FeeBalance, fee_balance
from postal_gateway.accounts.models import Role
from postal_gateway.core.domain import Conflict, Forbidden, InvalidInput, NotFound
from postal_gateway.dossiers.models import CollectedAmount, CollectionMethod, DossierStatus, PaymentKind
from postal_gateway.notifications.models import OutboxMessage
from postal_gateway.workbench import reception, services
from postal_gateway.workbench.models import RefundFlag
from tests import factories

MORNING = datetime(2026, 12, 8, 1, 0, tzinfo=timezone.utc)  # Tuesday 08:00 in Vietnam
FEE, POSTAGE = 100_000, 22_000


@pytest.fixture()
def office(session):
    agency = factories.agency(session, province_code="70", district_code="689")
    procedure = factories.procedure(session, agency, fee_vnd=FEE)
    post_office = factories.post_office(session, province_code="70", district_code="689")
    other_office = factories.post_office(session, province_code="70", district_code="689")
    worker = factories.user(session, Role.postal_staff, post_office_id=post_office.id)
    return dict(
        agency=agency, procedure=procedure, post_office=post_office, worker=worker,
        cashier=factories.user(session, Role.postal_staff, post_office_id=post_office.id),
        stranger=factories.user(session, Role.postal_staff, post_office_id=other_office.id),
        officer=factories.user(session, Role.agency_staff, agency_id=agency.id),
        admin=factories.user(session, Role.agency_admin, agency_id=agency.id),
        other_admin=factories.user(session, Role.agency_admin),
        citizen=factories.user(session, Role.citizen, phone="+84912000777", email="hoan@example.vn"),
        shift=cashbook.open_shift(session, worker_id=worker.id, now=MORNING),
    )


def _dossier(session, office, *, submitted: bool, fee_method=CollectionMethod.cash, fee_vnd=FEE, at=MORNING):
    """A dossier the worker took at ``at`` with its fee (by ``fee_method``) and postage in cash."""
    fields = dict(status=DossierStatus.submitted, code=None, received_at=None, processing_start_at=None, due_at=None,
                  appointment_date=None, accepted_at=None, receipt_basis=None) if submitted else {}
    dossier = factories.postal_dossier(session, procedure=office["procedure"], citizen=office["citizen"],
                                       staff=office["worker"], entered_at=at, **fields)
    factories.amount_collected(session, dossier, PaymentKind.fee, fee_vnd, method=fee_method, by=office["worker"],
                               at=at)
    factories.amount_collected(session, dossier, PaymentKind.postage, POSTAGE, by=office["worker"], at=at)
    return dossier


def _flag(session, dossier) -> RefundFlag | None:
    return session.scalar(select(RefundFlag).where(RefundFlag.dossier_id == dossier.id))


def _pay(session, office, refund, *, worker=None, voucher="PC-0001", now=None):
    return cash_refunds.pay_cash_refund(
        session, worker=worker or office["worker"], refund_id=refund.id, recipient_name="Trần Thị Hoàn",
        id_last4="1234", voucher_number=voucher, now=now or MORNING + timedelta(hours=3))


def test_refused_at_reception_cash_fee_flag_authorise_pay_book_remittance__dieu_14_2_c(session, office):
    """Điều 14.2.c: refused at reception (form 03) after the fee was taken in cash: flagged "refused"; the agency
    admin authorises; the worker pays it out of the open shift: a negative line of the cash book, the remittance is
    net of it, the flag is resolved and the citizen is told; the agency's statement nets it. Postage stays."""
    dossier = _dossier(session, office, submitted=True, at=MORNING + timedelta(minutes=10))
    reception.refuse(session, officer=office["officer"], ref=dossier.shipment_number,
                     reasons=["Không thuộc thẩm quyền"], now=MORNING + timedelta(hours=1))
    flag = _flag(session, dossier)
    assert (flag.cause, flag.amount_vnd, flag.resolved_at) == ("refused", FEE, None)

    refund = cash_refunds.authorise_cash_refund(session, admin=office["admin"], flag_id=flag.id,
                                                now=MORNING + timedelta(hours=2))
    assert refund.amount_vnd == FEE and refund.paid_at is None
    assert fee_balance(session, dossier) == FeeBalance(owed_vnd=FEE, paid_vnd=0, refunded_vnd=FEE)
    assert cash_refunds.refunds_to_pay(session, post_office_id=office["post_office"].id) == [refund]

    paid_at = MORNING + timedelta(hours=3)
    _pay(session, office, refund, now=paid_at)
    assert (refund.paid_by_id, refund.shift_id, refund.voucher_number) == (office["worker"].id, office["shift"].id,
                                                                           "PC-0001")
    assert flag.resolved_at == paid_at
    assert cash_refunds.refunds_to_pay(session, post_office_id=office["post_office"].id) == []

    book = cashbook.close_shift(session, shift_id=office["shift"].id, worker_id=office["worker"].id,
                                now=MORNING + timedelta(hours=9))
    refund_lines = [line for line in book.lines if line.is_refund]
    assert [(line.amount_vnd, line.dossier_code) for line in refund_lines] == [(-FEE, dossier.shipment_number)]
    assert (book.fee_vnd, book.postage_vnd, book.refunds_vnd, book.total_vnd) == (FEE, POSTAGE, FEE, POSTAGE)
    assert book.by_method() == {"cash": FEE + POSTAGE, "cash_refund": -FEE}

    remittance = cashbook.remit(session, shift_id=office["shift"].id, cashier_id=office["cashier"].id, fee_vnd=FEE,
                                postage_vnd=POSTAGE, refunds_vnd=FEE, handed_vnd=POSTAGE,
                                now=MORNING + timedelta(hours=9, minutes=10))
    assert (remittance.refunds_vnd, remittance.handed_vnd, remittance.discrepancy_vnd) == (FEE, POSTAGE, 0)

    statement = cashbook.fee_statement(session, agency_id=office["agency"].id, start=MORNING,
                                       end=MORNING + timedelta(days=1))
    assert statement.total_vnd == 0 and [line.amount_vnd for line in statement.lines] == [FEE, -FEE]
    assert statement.csv_rows()[-1][2:4] == ["cash_refund", str(-FEE)]

    bodies = session.scalars(select(OutboxMessage.body).where(OutboxMessage.template == "fee_refunded")).all()
    assert len(bodies) == 2
    email = next(body for body in bodies if "Lệ phí" in body)
    assert email == (f"Lệ phí 100.000 đồng của hồ sơ {dossier.shipment_number} đã được hoàn trả tại "
                     f"{office['post_office'].name} lúc 11:00 08/12/2026. Số phiếu chi: PC-0001.")


def test_a_remittance_must_take_the_refunds_off__dieu_14_2_c(session, office):
    """Điều 14.2.c: a remittance of a shift that paid a refund adds up only net of it."""
    dossier = _dossier(session, office, submitted=True, at=MORNING + timedelta(minutes=10))
    reception.refuse(session, officer=office["officer"], ref=dossier.shipment_number, reasons=["Sai thẩm quyền"],
                     now=MORNING + timedelta(hours=1))
    refund = cash_refunds.authorise_cash_refund(session, admin=office["admin"], flag_id=_flag(session, dossier).id,
                                                now=MORNING + timedelta(hours=2))
    _pay(session, office, refund)
    cashbook.close_shift(session, shift_id=office["shift"].id, worker_id=office["worker"].id,
                         now=MORNING + timedelta(hours=9))
    with pytest.raises(InvalidInput) as caught:
        cashbook.remit(session, shift_id=office["shift"].id, cashier_id=office["cashier"].id, fee_vnd=FEE,
                       postage_vnd=POSTAGE, refunds_vnd=FEE, handed_vnd=FEE + POSTAGE,
                       now=MORNING + timedelta(hours=10))
    assert [error.field for error in caught.value.field_errors] == ["handed_vnd"]
    with pytest.raises(InvalidInput) as caught:  # the sum adds up, but the till held less than that
        cashbook.remit(session, shift_id=office["shift"].id, cashier_id=office["cashier"].id, fee_vnd=FEE,
                       postage_vnd=POSTAGE, refunds_vnd=0, handed_vnd=FEE + POSTAGE, now=MORNING + timedelta(hours=10))
    assert [error.field for error in caught.value.field_errors] == ["reason"]


def test_a_refund_in_a_shift_with_no_takings_is_handed_back_negative__dieu_14_2_c(session, office):
    """Điều 14.2.c: the citizen comes back on another day; the worker pays out of a shift that took nothing, and
    the cashier gives the worker the difference (a negative hand-over)."""
    dossier = _dossier(session, office, submitted=True, at=MORNING + timedelta(minutes=10))
    reception.refuse(session, officer=office["officer"], ref=dossier.shipment_number, reasons=["Sai thẩm quyền"],
                     now=MORNING + timedelta(hours=1))
    refund = cash_refunds.authorise_cash_refund(session, admin=office["admin"], flag_id=_flag(session, dossier).id,
                                                now=MORNING + timedelta(hours=2))
    cashbook.close_shift(session, shift_id=office["shift"].id, worker_id=office["worker"].id,
                         now=MORNING + timedelta(hours=9))
    next_day = MORNING + timedelta(days=1)
    shift = cashbook.open_shift(session, worker_id=office["worker"].id, now=next_day)
    _pay(session, office, refund, now=next_day + timedelta(hours=1))
    book = cashbook.close_shift(session, shift_id=shift.id, worker_id=office["worker"].id,
                                now=next_day + timedelta(hours=8))
    assert (book.fee_vnd, book.refunds_vnd, book.total_vnd) == (0, FEE, -FEE)
    remittance = cashbook.remit(session, shift_id=shift.id, cashier_id=office["cashier"].id, fee_vnd=0,
                                postage_vnd=0, refunds_vnd=FEE, handed_vnd=-FEE, now=next_day + timedelta(hours=9))
    assert remittance.discrepancy_vnd == 0


@pytest.mark.parametrize("step", ["reject", "withdraw"])
def test_rejected_or_withdrawn_with_fee_on_behalf_is_refunded__dieu_14_2_c(session, office, step):
    """Điều 14.2.c: a dossier rejected or withdrawn after acceptance, its fee taken on behalf (thu hộ): flagged
    with its cause, authorised and paid back in cash; the flag is resolved."""
    dossier = _dossier(session, office, submitted=False, fee_method=CollectionMethod.collection_on_behalf,
                       at=MORNING + timedelta(minutes=5))
    if step == "reject":
        services.reject(session, officer=office["officer"], code=dossier.code, reasons=["Không đủ điều kiện"],
                        now=MORNING + timedelta(hours=1))
    else:
        services.withdraw(session, officer=office["officer"], code=dossier.code, reason="Công dân xin rút",
                          now=MORNING + timedelta(hours=1))
    flag = _flag(session, dossier)
    assert (flag.cause, flag.amount_vnd) == ({"reject": "rejected", "withdraw": "withdrawn"}[step], FEE)
    refund = cash_refunds.authorise_cash_refund(session, admin=office["admin"], flag_id=flag.id,
                                                now=MORNING + timedelta(hours=2))
    _pay(session, office, refund)
    assert flag.resolved_at is not None
    book = cashbook.cash_book(session, office["shift"], now=MORNING + timedelta(hours=4))
    assert book.refunds_vnd == FEE and book.by_method()["cash_refund"] == -FEE


def test_no_flag_and_no_refund_once_the_result_was_ready__dieu_14_2_c(session, office):
    """Điều 14.2.c, second half: "cơ quan đã giải quyết nhưng người yêu cầu không nhận kết quả thì không được
    quyền yêu cầu hoàn trả": no flag is raised for a dossier whose result was ready, and a flag raised before
    the result cannot be refunded after it."""
    dossier = _dossier(session, office, submitted=False, at=MORNING + timedelta(minutes=5))
    dossier.status, dossier.settled_at = DossierStatus.result_ready, MORNING + timedelta(hours=1)
    session.flush()
    assert services._flag_refund(session, dossier, office["officer"], "withdrawn", MORNING + timedelta(hours=2)) is None
    assert _flag(session, dossier) is None

    dossier.status = DossierStatus.in_processing  # a flag raised earlier, the result ready since
    flag = services._flag_refund(session, dossier, office["officer"], "withdrawn", MORNING + timedelta(hours=2))
    assert flag is None
    dossier.settled_at = None
    flag = services._flag_refund(session, dossier, office["officer"], "withdrawn", MORNING + timedelta(hours=2))
    assert flag is not None and flag.amount_vnd == FEE
    dossier.status, dossier.settled_at = DossierStatus.result_ready, MORNING + timedelta(hours=3)
    session.flush()
    with pytest.raises(Conflict, match=r"14\.2\.c"):
        cash_refunds.authorise_cash_refund(session, admin=office["admin"], flag_id=flag.id,
                                           now=MORNING + timedelta(hours=4))
    assert session.scalar(select(func.count()).select_from(CashRefund)) == 0


def test_no_flag_when_no_fee_was_paid__dieu_14_2_c(session, office):
    """Điều 14.2.c refunds "lệ phí mà cá nhân, tổ chức đã nộp": nothing paid, nothing flagged."""
    dossier = factories.postal_dossier(
        session, procedure=office["procedure"], citizen=office["citizen"], staff=office["worker"], entered_at=MORNING,
        status=DossierStatus.submitted, code=None, received_at=None, processing_start_at=None, due_at=None,
        appointment_date=None, accepted_at=None, receipt_basis=None)
    reception.refuse(session, officer=office["officer"], ref=dossier.shipment_number, reasons=["Sai thẩm quyền"],
                     now=MORNING + timedelta(hours=1))
    assert _flag(session, dossier) is None


@pytest.fixture()
def authorised(session, office):
    dossier = _dossier(session, office, submitted=True, at=MORNING + timedelta(minutes=10))
    reception.refuse(session, officer=office["officer"], ref=dossier.shipment_number, reasons=["Sai thẩm quyền"],
                     now=MORNING + timedelta(hours=1))
    flag = _flag(session, dossier)
    return flag, cash_refunds.authorise_cash_refund(session, admin=office["admin"], flag_id=flag.id,
                                                    now=MORNING + timedelta(hours=2))


def test_only_the_agency_admin_of_the_dossier_authorises__dieu_14_2_c(session, office):
    """Điều 14.2.c: the agency that could not perform the service owes the refund: only its admin authorises
    (not an officer, not another agency's admin, not the post)."""
    dossier = _dossier(session, office, submitted=True, at=MORNING + timedelta(minutes=10))
    reception.refuse(session, officer=office["officer"], ref=dossier.shipment_number, reasons=["Sai thẩm quyền"],
                     now=MORNING + timedelta(hours=1))
    flag = _flag(session, dossier)
    for who in ("other_admin", "officer", "worker"):
        with pytest.raises(Forbidden):
            cash_refunds.authorise_cash_refund(session, admin=office[who], flag_id=flag.id, now=MORNING)
    with pytest.raises(NotFound):
        cash_refunds.authorise_cash_refund(session, admin=office["admin"], flag_id=flag.id + 1000, now=MORNING)
    assert session.scalar(select(func.count()).select_from(CashRefund)) == 0


def test_authorising_twice_gives_the_same_refund_never_above_the_fee__dieu_14_2_c(session, office):
    """Điều 14.2.c: the lệ phí paid, never more: an amount above it is refused; a double click finds the refund
    already authorised; another amount for the same flag is refused."""
    dossier = _dossier(session, office, submitted=True, at=MORNING + timedelta(minutes=10))
    reception.refuse(session, officer=office["officer"], ref=dossier.shipment_number, reasons=["Sai thẩm quyền"],
                     now=MORNING + timedelta(hours=1))
    flag = _flag(session, dossier)
    for too_much in (FEE + 1, 0, -5, "nhiều"):
        with pytest.raises(InvalidInput) as caught:
            cash_refunds.authorise_cash_refund(session, admin=office["admin"], flag_id=flag.id, amount_vnd=too_much,
                                               now=MORNING)
        assert [error.field for error in caught.value.field_errors] == ["amount_vnd"]
    first = cash_refunds.authorise_cash_refund(session, admin=office["admin"], flag_id=flag.id, amount_vnd="100.000",
                                               now=MORNING)
    again = cash_refunds.authorise_cash_refund(session, admin=office["admin"], flag_id=flag.id, now=MORNING)
    assert again is first and first.amount_vnd == FEE
    with pytest.raises(Conflict):
        cash_refunds.authorise_cash_refund(session, admin=office["admin"], flag_id=flag.id, amount_vnd=50_000,
                                           now=MORNING)
    assert session.scalar(select(func.count()).select_from(CashRefund)) == 1


def test_only_the_fee_taken_in_cash_goes_back_through_the_till__dieu_14_2_c(session, office):
    """Điều 14.2.c: of a fee paid partly online (VNPay, refunded by payments.refunds) and partly in cash, the till
    pays back only the cash part; a fee paid only online has nothing to pay back in cash."""
    dossier = _dossier(session, office, submitted=True, fee_vnd=60_000, at=MORNING + timedelta(minutes=10))
    dossier.collected.append(CollectedAmount(kind=PaymentKind.fee, method=CollectionMethod.online, amount_vnd=40_000,
                                             collected_at=MORNING + timedelta(minutes=11)))
    online = _dossier(session, office, submitted=True, fee_method=CollectionMethod.online,
                      at=MORNING + timedelta(minutes=12))
    for each in (dossier, online):
        reception.refuse(session, officer=office["officer"], ref=each.shipment_number, reasons=["Sai thẩm quyền"],
                         now=MORNING + timedelta(hours=1))
    flag = _flag(session, dossier)
    assert flag.amount_vnd == FEE
    assert cash_refunds.cash_refund_state(session, dossier).refundable_vnd == 60_000
    with pytest.raises(InvalidInput):
        cash_refunds.authorise_cash_refund(session, admin=office["admin"], flag_id=flag.id, amount_vnd=60_001,
                                           now=MORNING)
    assert cash_refunds.authorise_cash_refund(session, admin=office["admin"], flag_id=flag.id,
                                              now=MORNING).amount_vnd == 60_000
    with pytest.raises(Conflict):
        cash_refunds.authorise_cash_refund(session, admin=office["admin"], flag_id=_flag(session, online).id,
                                           now=MORNING)


def test_only_a_worker_of_the_holding_office_with_an_open_shift_pays__dieu_14_2_c(session, office, authorised):
    """Điều 14.2.c: the post pays for the agency at the office holding the dossier: postal staff of another
    office do not see the refund, an agency admin cannot pay it, a worker without an open shift is refused."""
    _flag_row, refund = authorised
    with pytest.raises(NotFound):
        _pay(session, office, refund, worker=office["stranger"])
    with pytest.raises(NotFound):
        _pay(session, office, refund, worker=office["admin"])
    with pytest.raises(Conflict, match="Mở ca"):  # the cashier of the same office has no shift open
        _pay(session, office, refund, worker=office["cashier"])
    assert refund.paid_at is None


def test_paying_twice_is_refused_and_fields_are_named__dieu_14_2_c(session, office, authorised):
    """Điều 14.2.c: one refund is paid once; a payment without the recipient's name, four ID digits and the
    voucher number is refused naming each field, nothing paid."""
    flag, refund = authorised
    with pytest.raises(InvalidInput) as caught:
        cash_refunds.pay_cash_refund(session, worker=office["worker"], refund_id=refund.id, recipient_name="  ",
                                     id_last4="12a4", voucher_number="", now=MORNING + timedelta(hours=3))
    assert {error.field for error in caught.value.field_errors} == {"recipient_name", "id_last4", "voucher_number"}
    assert refund.paid_at is None and flag.resolved_at is None
    _pay(session, office, refund)
    with pytest.raises(Conflict):
        _pay(session, office, refund, voucher="PC-0002", now=MORNING + timedelta(hours=4))
    assert refund.voucher_number == "PC-0001"
    with pytest.raises(Conflict):  # and it cannot be authorised again either: the flag is resolved
        cash_refunds.authorise_cash_refund(session, admin=office["admin"], flag_id=flag.id, amount_vnd=1, now=MORNING)
