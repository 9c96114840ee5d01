"""Postal workers' cash books per shift, remittance to the post office cashier, and the statement
of fees owed to each agency (Điều 23.4: fees collected in cash or on behalf by the post).

The cash book is not a second ledger: its lines ARE the dossiers' ``CollectedAmount`` rows that the
worker took in cash or on behalf, each linked to the shift it was taken in (``CollectedAmount.shift_id``;
the database refuses a cash or thu hộ row without one). A worker has at most one open shift and shifts
never overlap. Lệ phí paid back to citizens from the till during the shift (``CashRefund``, Điều 14.2.c)
are negative lines of it.

Cash never waits for a shift (``shift_for_cash_intake``): the first cash or thu hộ intake of the worker's
day at their office opens their shift itself, as a postal worker expects (they came to take dossiers, and
the counter's till is theirs from the first đồng); refusing the intake would send the citizen away or push
the worker to take the money off the books. Điều 23.4 lets the post collect lệ phí for the agency only if
it accounts for them, so every amount must land in a cash book before the dossier is saved.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.models import CashRefund, CashShift, Remittance, ShiftStatus
from contracts.parsing import clean_text, parse_int
from postal_gateway.accounts.models import POST_OFFICE_ROLES, Role, User
from postal_gateway.catalogue.models import Agency, PostOffice
from postal_gateway.core.domain import N_, Conflict, FieldError, Forbidden, InvalidInput, NotFound
from postal_gateway.dossiers.models import CollectedAmount, CollectionMethod, Dossier, PaymentKind

#: methods whose money the worker physically holds until remitted
CASH_METHODS = (CollectionMethod.cash, CollectionMethod.collection_on_behalf)
#: methods by which the post may collect a fee for the agency (online VNPay goes to the agency directly)
POST_FEE_METHODS = (
    CollectionMethod.cash,
    CollectionMethod.collection_on_behalf,
    CollectionMethod.bank_transfer,
    CollectionMethod.card,
)


#: the key of refund lines among the totals by method
CASH_REFUND = "cash_refund"


@dataclass(frozen=True)
class CashLine:
    collected_amount_id: int | None
    dossier_code: str
    agency_code: str
    kind: PaymentKind
    method: CollectionMethod
    #: negative for a refund paid out
    amount_vnd: int
    collected_at: datetime
    #: set on a refund paid out of the till (Điều 14.2.c)
    cash_refund_id: int | None = None

    @property
    def is_refund(self) -> bool:
        return self.cash_refund_id is not None

    @property
    def method_key(self) -> str:
        return CASH_REFUND if self.is_refund else self.method.value


@dataclass(frozen=True)
class CashBook:
    shift: CashShift
    lines: tuple[CashLine, ...]

    @property
    def fee_vnd(self) -> int:
        """Lệ phí taken, before refunds."""
        return sum(line.amount_vnd for line in self.lines if line.kind is PaymentKind.fee and not line.is_refund)

    @property
    def postage_vnd(self) -> int:
        return sum(line.amount_vnd for line in self.lines if line.kind is PaymentKind.postage)

    @property
    def refunds_vnd(self) -> int:
        """Lệ phí paid back out of the till, as a positive amount."""
        return -sum(line.amount_vnd for line in self.lines if line.is_refund)

    @property
    def total_vnd(self) -> int:
        """What the worker hands over: takings net of refunds."""
        return self.fee_vnd + self.postage_vnd - self.refunds_vnd

    @property
    def dossier_count(self) -> int:
        return len({line.dossier_code for line in self.lines})

    def by_method(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for line in self.lines:
            totals[line.method_key] = totals.get(line.method_key, 0) + line.amount_vnd
        return totals


def _worker(session: Session, worker_id: int) -> User:
    worker = session.get(User, worker_id)
    if worker is None or worker.role not in POST_OFFICE_ROLES or worker.post_office_id is None:
        raise Forbidden(N_("Chỉ nhân viên bưu chính của một bưu cục mới có sổ thu tiền."))
    return worker


def _lock_worker(session: Session, worker: User) -> None:
    """Lock the worker's row so two taps (or two intakes at once) cannot open two shifts."""
    session.scalars(select(User).where(User.id == worker.id).with_for_update()).first()


def _open_locked(session: Session, worker: User, now: datetime) -> CashShift:
    last = session.scalars(
        select(CashShift).where(CashShift.worker_id == worker.id).order_by(CashShift.opened_at.desc()).limit(1)
    ).first()
    if last is not None and last.status is ShiftStatus.open:
        raise Conflict(N_("Bạn đang có một ca chưa đóng."))
    if last is not None and last.closed_at is not None and now < last.closed_at:
        raise Conflict(N_("Ca mới không thể bắt đầu trước khi ca trước kết thúc."))
    shift = CashShift(worker_id=worker.id, post_office_id=worker.post_office_id, opened_at=now)
    session.add(shift)
    session.flush()
    return shift


def open_shift(session: Session, *, worker_id: int, now: datetime) -> CashShift:
    """Open the worker's shift; refused while another is open or if it would overlap the last one."""
    worker = _worker(session, worker_id)
    _lock_worker(session, worker)
    return _open_locked(session, worker, now)


@dataclass(frozen=True)
class IntakeShift:
    """The shift a cash intake lands in, and whether the intake opened it."""

    shift: CashShift
    opened: bool


def shift_for_cash_intake(session: Session, *, worker_id: int, now: datetime) -> IntakeShift:
    """The shift whose cash book takes an amount collected now in cash or on behalf (Điều 23.4): the worker's
    open shift, or a new one opened at ``now`` when none is open (the first cash intake of their day, or the
    first after they closed a shift). The office manager taking a dossier has a shift like any worker.

    A shift still open from an earlier day takes the amount: closing a shift is the worker counting the till,
    which the gateway never does for them. A shift open at another post office (the worker moved) is refused
    before anything is saved: the money of two offices must not share a till."""
    worker = _worker(session, worker_id)
    _lock_worker(session, worker)
    shift = current_shift(session, worker_id=worker.id)
    if shift is not None:
        if shift.post_office_id != worker.post_office_id:
            raise Conflict(N_("Bạn còn một ca thu tiền đang mở ở bưu cục khác: hãy đóng ca đó trước khi thu tiền ở "
                              "bưu cục này."))
        return IntakeShift(shift, opened=False)
    return IntakeShift(_open_locked(session, worker, now), opened=True)


def current_shift(session: Session, *, worker_id: int) -> CashShift | None:
    return session.scalars(
        select(CashShift).where(CashShift.worker_id == worker_id, CashShift.status == ShiftStatus.open)
    ).first()


def get_shift(session: Session, shift_id: Any) -> CashShift:
    shift = session.get(CashShift, shift_id) if isinstance(shift_id, int) and 0 < shift_id < 2**31 else None
    if shift is None:
        raise NotFound(N_("Không tìm thấy ca thu tiền."))
    return shift


def cash_book(session: Session, shift: CashShift, *, now: datetime) -> CashBook:
    """What the worker collected in cash or on behalf in the shift: the amounts linked to it, whatever their
    time (``now`` is kept for callers reading an open shift). A dossier not yet accepted by the agency has no
    code: its line shows the shipment number."""
    rows = session.execute(
        select(CollectedAmount, Dossier.code, Dossier.shipment_number, Agency.code)
        .join(Dossier, Dossier.id == CollectedAmount.dossier_id)
        .join(Agency, Agency.id == Dossier.agency_id)
        .where(CollectedAmount.shift_id == shift.id, CollectedAmount.method.in_(CASH_METHODS))
        .order_by(CollectedAmount.collected_at, CollectedAmount.id)
    ).all()
    lines = [
        CashLine(amount.id, code or shipment_number or "", agency_code, amount.kind, amount.method,
                 amount.amount_vnd, amount.collected_at)
        for amount, code, shipment_number, agency_code in rows
    ]
    refunds = session.execute(
        select(CashRefund, Dossier.code, Dossier.shipment_number, Agency.code)
        .join(Dossier, Dossier.id == CashRefund.dossier_id)
        .join(Agency, Agency.id == Dossier.agency_id)
        .where(CashRefund.shift_id == shift.id)
    ).all()
    lines += [
        CashLine(None, code or shipment_number, agency_code, PaymentKind.fee, CollectionMethod.cash, -refund.amount_vnd,
                 refund.paid_at, cash_refund_id=refund.id)
        for refund, code, shipment_number, agency_code in refunds
    ]
    lines.sort(key=lambda line: line.collected_at)
    return CashBook(shift, tuple(lines))


def close_shift(session: Session, *, shift_id: int, worker_id: int, now: datetime) -> CashBook:
    shift = get_shift(session, shift_id)
    if shift.worker_id != worker_id:
        raise Forbidden(N_("Bạn chỉ đóng được ca của chính mình."))
    if shift.status is not ShiftStatus.open:
        raise Conflict(N_("Ca này đã đóng."))
    if now <= shift.opened_at:
        raise InvalidInput.on_field("closed_at", N_("Giờ đóng ca phải sau giờ mở ca."))
    shift.closed_at = now
    shift.status = ShiftStatus.closed
    session.flush()
    return cash_book(session, shift, now=now)


def ensure_remittable(session: Session, *, shift_id: int, cashier_id: int) -> CashShift:
    """The shift, if ``cashier_id`` may record its remittance now: a cashier of the shift's post office (or an
    operator), not its own worker, and the shift closed and not yet remitted."""
    shift = get_shift(session, shift_id)
    cashier = session.get(User, cashier_id)
    if cashier is None or not (
        cashier.role is Role.operator
        or (cashier.role in POST_OFFICE_ROLES and cashier.post_office_id == shift.post_office_id)
    ):
        raise Forbidden(N_("Chỉ thủ quỹ của bưu cục này mới nhận tiền nộp của ca."))
    if cashier.id == shift.worker_id:
        raise Forbidden(N_("Nhân viên không tự nhận tiền nộp của chính mình."))
    if shift.status is ShiftStatus.open:
        raise Conflict(N_("Ca chưa đóng: nhân viên cần đóng ca trước khi nộp tiền."))
    if shift.status is ShiftStatus.remitted or shift.remittance is not None:
        raise Conflict(N_("Ca này đã nộp tiền."))
    return shift


def remit(
    session: Session,
    *,
    shift_id: int,
    cashier_id: int,
    fee_vnd: Any,
    postage_vnd: Any,
    handed_vnd: Any,
    refunds_vnd: Any = 0,
    reason: Any = "",
    now: datetime,
) -> Remittance:
    """The cashier records what the worker handed over for a closed shift.

    ``fee_vnd + postage_vnd - refunds_vnd`` must equal ``handed_vnd`` (a remittance that does not add up is
    refused; lệ phí refunded in cash left the till, Điều 14.2.c); a difference from the cash book is
    recorded as the discrepancy, with a reason. ``handed_vnd`` is negative when the refunds paid out exceed
    the takings: the cashier gives the difference back to the worker.
    """
    shift = ensure_remittable(session, shift_id=shift_id, cashier_id=cashier_id)

    errors: list[FieldError] = []
    amounts = {}
    for name, value in (("fee_vnd", fee_vnd), ("postage_vnd", postage_vnd), ("refunds_vnd", refunds_vnd),
                        ("handed_vnd", handed_vnd)):
        number = parse_int(value)
        lowest = -10_000_000_000 if name == "handed_vnd" else 0
        if number is None or number < lowest or number > 10_000_000_000:
            errors.append(FieldError(name, N_("Số tiền phải là số nguyên đồng (VND) không âm.") if lowest == 0
                                     else N_("Số tiền phải là số nguyên đồng (VND).")))
        amounts[name] = number
    if not errors and amounts["fee_vnd"] + amounts["postage_vnd"] - amounts["refunds_vnd"] != amounts["handed_vnd"]:
        errors.append(FieldError(
            "handed_vnd",
            N_("Tổng tiền nộp %(handed)s không bằng lệ phí %(fee)s cộng cước %(postage)s trừ tiền hoàn %(refunds)s."),
            {"handed": amounts["handed_vnd"], "fee": amounts["fee_vnd"], "postage": amounts["postage_vnd"],
             "refunds": amounts["refunds_vnd"]},
        ))
    book = cash_book(session, shift, now=now)
    reason_text = clean_text(reason, 2000)
    if not errors and amounts["handed_vnd"] != book.total_vnd and not reason_text:
        errors.append(FieldError(
            "reason",
            N_("Tiền nộp lệch %(difference)s so với sổ thu (%(expected)s): vui lòng ghi lý do."),
            {"difference": amounts["handed_vnd"] - book.total_vnd, "expected": book.total_vnd},
        ))
    if errors:
        raise InvalidInput(N_("Chưa ghi nhận nộp tiền: vui lòng sửa các mục được nêu."), field_errors=errors)
    remittance = Remittance(
        shift_id=shift.id,
        cashier_id=cashier_id,
        fee_vnd=amounts["fee_vnd"],
        postage_vnd=amounts["postage_vnd"],
        refunds_vnd=amounts["refunds_vnd"],
        handed_vnd=amounts["handed_vnd"],
        expected_vnd=book.total_vnd,
        discrepancy_vnd=amounts["handed_vnd"] - book.total_vnd,
        reason=reason_text,
        remitted_at=now,
    )
    session.add(remittance)
    shift.status = ShiftStatus.remitted
    session.flush()
    return remittance


def shifts_to_remit(session: Session, *, post_office_id: int) -> list[CashShift]:
    """Closed shifts of an office waiting for the cashier, oldest first."""
    return list(session.scalars(
        select(CashShift)
        .where(CashShift.post_office_id == post_office_id, CashShift.status == ShiftStatus.closed)
        .order_by(CashShift.closed_at)
    ))


@dataclass(frozen=True)
class StatementLine:
    dossier_code: str
    collected_at: datetime
    method: CollectionMethod
    #: negative for a lệ phí the post paid back for the agency (Điều 14.2.c)
    amount_vnd: int
    post_office_code: str
    is_refund: bool = False

    @property
    def method_key(self) -> str:
        return CASH_REFUND if self.is_refund else self.method.value


@dataclass(frozen=True)
class FeeStatement:
    """Fees the post collected for one agency in [start, end), net of the fees it paid back in cash for the
    agency (Điều 14.2.c): what it owes the agency."""

    agency: Agency
    start: datetime
    end: datetime
    lines: tuple[StatementLine, ...]

    @property
    def total_vnd(self) -> int:
        return sum(line.amount_vnd for line in self.lines)

    def by_method(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for line in self.lines:
            totals[line.method_key] = totals.get(line.method_key, 0) + line.amount_vnd
        return totals

    def csv_rows(self) -> list[list[str]]:
        header = ["dossier_code", "collected_at_utc", "method", "amount_vnd", "post_office_code"]
        return [header] + [
            [l.dossier_code, l.collected_at.isoformat(), l.method_key, str(l.amount_vnd), l.post_office_code]
            for l in self.lines
        ]


def fee_statement(
    session: Session, *, agency_id: int, start: datetime, end: datetime, post_office_id: int | None = None
) -> FeeStatement:
    """Fees collected by postal staff for the agency's dossiers in the period, dossier by dossier, and the
    fees paid back in cash in the period as negative lines (Điều 14.2.c); only those of one post office when
    ``post_office_id`` is given (its own staff asking)."""
    for moment in (start, end):
        if moment.tzinfo is None:
            raise ValueError("naive datetime")
    if end <= start:
        raise InvalidInput.on_field("end", N_("Ngày kết thúc phải sau ngày bắt đầu."))
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(N_("Không tìm thấy cơ quan."))

    query = (
        select(CollectedAmount, Dossier.code, PostOffice.code)
        .join(Dossier, Dossier.id == CollectedAmount.dossier_id)
        .join(User, User.id == CollectedAmount.collected_by_id)
        .outerjoin(PostOffice, PostOffice.id == User.post_office_id)
        .where(
            Dossier.agency_id == agency.id,
            CollectedAmount.kind == PaymentKind.fee,
            CollectedAmount.method.in_(POST_FEE_METHODS),
            User.role.in_(POST_OFFICE_ROLES),
            CollectedAmount.collected_at >= start,
            CollectedAmount.collected_at < end,
        )
        .order_by(CollectedAmount.collected_at, CollectedAmount.id)
    )
    if post_office_id is not None:
        query = query.where(User.post_office_id == post_office_id)
    rows = session.execute(query).all()
    lines = [
        StatementLine(code, amount.collected_at, amount.method, amount.amount_vnd, office_code or "")
        for amount, code, office_code in rows
    ]
    refunds = (
        select(CashRefund, Dossier.code, Dossier.shipment_number, PostOffice.code)
        .join(Dossier, Dossier.id == CashRefund.dossier_id)
        .join(CashShift, CashShift.id == CashRefund.shift_id)
        .join(PostOffice, PostOffice.id == CashShift.post_office_id)
        .where(Dossier.agency_id == agency.id, CashRefund.paid_at >= start, CashRefund.paid_at < end)
    )
    if post_office_id is not None:
        refunds = refunds.where(CashShift.post_office_id == post_office_id)
    lines += [
        StatementLine(code or shipment_number, refund.paid_at, CollectionMethod.cash, -refund.amount_vnd, office_code,
                      is_refund=True)
        for refund, code, shipment_number, office_code in session.execute(refunds).all()
    ]
    lines.sort(key=lambda line: line.collected_at)
    return FeeStatement(agency, start, end, tuple(lines))
