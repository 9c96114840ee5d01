"""Refund of a lệ phí taken in cash or on behalf, paid back through the post's cash book (Điều 14.2.c).

"Trường hợp cá nhân, tổ chức đã nộp lệ phí, nhưng cơ quan có thẩm quyền không thực hiện được dịch vụ thì cơ
quan có thẩm quyền đó có trách nhiệm hoàn trả lệ phí": the agency owes the refund, so its admin authorises it;
the post, which took the money as the agency's agent (Điều 23.4), pays it out of a worker's till against a voucher
the citizen signs. The refund is a negative line of that shift's cash book, the shift's remittance is net of it,
and the agency's fee statement nets it. Only the lệ phí goes back: postage is a contract matter (Điều 23.2).
A fee paid online through VNPay goes back through ``payments.refunds`` instead.

Each step is safe to repeat: one refund per refund flag (a UNIQUE column), the dossier's money lock taken
before the amounts are read, the refund's row locked before it is paid.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from contracts.cashbook import CASH_METHODS, current_shift
from contracts.models import CashRefund
from contracts.parsing import clean_text, parse_int
from payments.locking import lock_dossier_money
from postal_gateway.accounts.models import POST_OFFICE_ROLES, Role, User
from postal_gateway.catalogue.models import PostOffice
from postal_gateway.core.domain import N_, Conflict, FieldError, Forbidden, InvalidInput, NotFound
from postal_gateway.core.formatting import format_local_datetime, format_vnd
from postal_gateway.dossiers.models import CollectedAmount, Dossier, DossierStatus, PaymentKind
from postal_gateway.notifications.service import send
from postal_gateway.workbench.models import RefundFlag

_LAST4 = re.compile(r"\d{4}")
_VOUCHER = re.compile(r"[0-9A-Za-z][0-9A-Za-z./_-]{0,31}")
#: the second half of Điều 14.2.c, as the officer and the citizen read it
RESULT_READY_NO_REFUND = N_(
    "Hồ sơ đã có kết quả; công dân không nhận kết quả thì không được hoàn lệ phí (Điều 14.2.c)."
)


def result_was_ready(dossier: Dossier) -> bool:
    """The agency settled the dossier (its result was ready at some moment): no refund (Điều 14.2.c)."""
    return dossier.settled_at is not None or dossier.status in (DossierStatus.result_ready, DossierStatus.returned)


def holding_office_id(dossier: Dossier) -> int | None:
    """The post office holding the dossier: where it was handed in (or the submitting worker's office)."""
    if dossier.post_office_id is not None:
        return dossier.post_office_id
    return dossier.submitted_by.post_office_id if dossier.submitted_by is not None else None


def cash_fee_taken(session: Session, dossier_id: int) -> int:
    """Lệ phí the post took for the dossier in cash or on behalf, integer VND."""
    return session.scalar(
        select(func.coalesce(func.sum(CollectedAmount.amount_vnd), 0)).where(
            CollectedAmount.dossier_id == dossier_id,
            CollectedAmount.kind == PaymentKind.fee,
            CollectedAmount.method.in_(CASH_METHODS),
        )
    )


def flag_of(session: Session, dossier: Dossier) -> RefundFlag | None:
    return session.scalar(select(RefundFlag).where(RefundFlag.dossier_id == dossier.id))


def refund_of_flag(session: Session, flag_id: int) -> CashRefund | None:
    return session.scalar(select(CashRefund).where(CashRefund.refund_flag_id == flag_id))


@dataclass(frozen=True)
class CashRefundState:
    """What the refunds page shows of a dossier's cash refund."""

    flag: RefundFlag | None
    refund: CashRefund | None
    #: the most that may be authorised now: the flag's amount, within the fee taken in cash or on behalf
    refundable_vnd: int
    result_ready: bool


def cash_refund_state(session: Session, dossier: Dossier) -> CashRefundState:
    flag = flag_of(session, dossier)
    refund = refund_of_flag(session, flag.id) if flag is not None else None
    refundable = 0
    if flag is not None and refund is None and flag.resolved_at is None:
        refundable = min(flag.amount_vnd, cash_fee_taken(session, dossier.id))
    return CashRefundState(flag, refund, refundable, result_was_ready(dossier))


def authorise_cash_refund(
    session: Session, *, admin: User, flag_id: int, now: datetime, amount_vnd: Any = None
) -> CashRefund:
    """The agency admin of the dossier's agency authorises paying the flagged lệ phí back in cash at the post
    office holding the dossier (Điều 14.2.c: the agency "có trách nhiệm hoàn trả lệ phí").

    ``amount_vnd`` (default: all that may be refunded) is a whole number of đồng, never above the flag's amount
    nor the fee taken in cash or on behalf. The same flag again (a double click, a retry) returns the refund
    already authorised; a different amount for it is refused. Refused once the result was ready (14.2.c)."""
    flag = session.get(RefundFlag, flag_id) if isinstance(flag_id, int) and 0 < flag_id < 2**31 else None
    if flag is None:
        raise NotFound(N_("Không tìm thấy khoản lệ phí cần hoàn."))
    dossier = session.get(Dossier, flag.dossier_id)
    if admin is None or admin.role is not Role.agency_admin or admin.agency_id != dossier.agency_id:
        raise Forbidden(N_("Chỉ quản trị của cơ quan xử lý hồ sơ được duyệt hoàn lệ phí (Điều 14.2.c)."))
    amount = None if amount_vnd is None or amount_vnd == "" else parse_int(amount_vnd)
    if amount_vnd not in (None, "") and (amount is None or amount <= 0):
        raise InvalidInput.on_field("amount_vnd", N_("Số tiền hoàn phải là số nguyên dương (đồng)."))
    # a concurrent authorisation or payment of this dossier's money waits here until this one ends
    lock_dossier_money(session, dossier.id)
    existing = refund_of_flag(session, flag.id)
    if existing is not None:
        return _same_or_conflict(existing, amount)
    if flag.resolved_at is not None:
        raise Conflict(N_("Khoản lệ phí này đã được hoàn."))
    if result_was_ready(dossier):
        raise Conflict(RESULT_READY_NO_REFUND)
    refundable = min(flag.amount_vnd, cash_fee_taken(session, dossier.id))
    if refundable <= 0:
        raise Conflict(N_("Lệ phí của hồ sơ không thu bằng tiền mặt hay thu hộ: hoàn qua cổng thanh toán."))
    amount = refundable if amount is None else amount
    if amount > refundable:
        raise InvalidInput.on_field(
            "amount_vnd", N_("Số tiền hoàn vượt quá lệ phí đã nộp bằng tiền mặt hoặc thu hộ (%(left)s đồng)."),
            left=refundable,
        )
    refund = CashRefund(refund_flag_id=flag.id, dossier_id=dossier.id, amount_vnd=amount,
                        authorised_by_id=admin.id, authorised_at=now)
    try:
        with session.begin_nested():
            session.add(refund)
    except IntegrityError:  # the same flag authorised by a concurrent click
        return _same_or_conflict(refund_of_flag(session, flag.id), amount)
    return refund


def _same_or_conflict(existing: CashRefund, amount: int | None) -> CashRefund:
    if amount is not None and amount != existing.amount_vnd:
        raise Conflict(N_("Khoản hoàn này đã được duyệt với số tiền %(amount)s."),
                       params={"amount": format_vnd(existing.amount_vnd)})
    return existing


def get_refund(session: Session, refund_id: Any, *, lock: bool = False) -> CashRefund:
    if not (isinstance(refund_id, int) and 0 < refund_id < 2**31):
        raise NotFound(N_("Không tìm thấy khoản hoàn lệ phí."))
    query = select(CashRefund).where(CashRefund.id == refund_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    refund = session.scalar(query)
    if refund is None:
        raise NotFound(N_("Không tìm thấy khoản hoàn lệ phí."))
    return refund


def refund_for_worker(session: Session, *, worker: User | None, refund_id: Any, lock: bool = False) -> CashRefund:
    """The refund, if ``worker`` is postal staff (or the manager) of the office holding its dossier; others are
    told it does not exist."""
    refund = get_refund(session, refund_id, lock=lock)
    if (worker is None or worker.role not in POST_OFFICE_ROLES or worker.post_office_id is None
            or worker.post_office_id != holding_office_id(refund.dossier)):
        raise NotFound(N_("Không tìm thấy khoản hoàn lệ phí."))
    return refund


def pay_cash_refund(
    session: Session, *, worker: User, refund_id: Any, recipient_name: Any, id_last4: Any, voucher_number: Any,
    now: datetime,
) -> CashRefund:
    """A postal worker of the office holding the dossier pays an authorised refund out of their open shift's
    till (Điều 14.2.c): who took the money, the last four digits of their ID number, the number of the voucher
    they signed. The refund flag is resolved, the shift's cash book shows the refund as a negative line, and the
    citizen is told. Paying twice is refused; so is paying without an open shift."""
    refund = refund_for_worker(session, worker=worker, refund_id=refund_id, lock=True)
    if refund.paid_at is not None:
        raise Conflict(N_("Khoản hoàn này đã được chi trả lúc %(at)s, phiếu chi số %(voucher)s."),
                       params={"at": format_local_datetime(refund.paid_at), "voucher": refund.voucher_number})
    errors: list[FieldError] = []
    name = " ".join(clean_text(recipient_name, 1000).split())
    if not name or len(name) > 255:
        errors.append(FieldError("recipient_name", N_("Ghi họ tên người nhận tiền (tối đa 255 ký tự).")))
    last4 = clean_text(id_last4, 16)
    if not _LAST4.fullmatch(last4):
        errors.append(FieldError("id_last4", N_("Ghi đúng 4 số cuối giấy tờ tùy thân của người nhận.")))
    voucher = clean_text(voucher_number, 64)
    if not _VOUCHER.fullmatch(voucher):
        errors.append(FieldError("voucher_number", N_("Ghi số phiếu chi (chữ, số, . / _ -; tối đa 32 ký tự).")))
    if errors:
        raise InvalidInput(N_("Chưa chi trả: vui lòng sửa các mục được nêu."), field_errors=errors)
    flag = session.get(RefundFlag, refund.refund_flag_id)
    if flag.resolved_at is not None:
        raise Conflict(N_("Khoản lệ phí này đã được hoàn."))
    shift = current_shift(session, worker_id=worker.id)
    if shift is None or shift.post_office_id != worker.post_office_id:
        raise Conflict(N_("Mở ca thu tiền trước khi chi trả: khoản hoàn được ghi vào sổ thu của ca."))
    refund.paid_by_id, refund.paid_at, refund.shift_id = worker.id, now, shift.id
    refund.recipient_name, refund.recipient_id_number_last4, refund.voucher_number = name, last4, voucher
    flag.resolved_at = now
    session.flush()
    _tell_citizen(session, refund, session.get(PostOffice, shift.post_office_id), now)
    return refund


def _tell_citizen(session: Session, refund: CashRefund, office: PostOffice, now: datetime) -> None:
    dossier = refund.dossier
    citizen = dossier.citizen
    context = {"amount": format_vnd(refund.amount_vnd, unit="đồng"), "ref": dossier.ref, "office": office.name,
               "at": format_local_datetime(refund.paid_at), "voucher_number": refund.voucher_number}
    for channel, recipient in (("sms", citizen.phone), ("email", citizen.email)):
        if recipient:
            send(session, channel=channel, recipient=recipient, template="fee_refunded", context=context,
                 user_id=citizen.id, locale=citizen.locale or "vi", now=now)


def refunds_to_pay(session: Session, *, post_office_id: int) -> list[CashRefund]:
    """Authorised refunds not yet paid of the dossiers an office holds, oldest first."""
    submitter = aliased(User)
    return list(session.scalars(
        select(CashRefund)
        .join(Dossier, Dossier.id == CashRefund.dossier_id)
        .outerjoin(submitter, submitter.id == Dossier.submitted_by_id)
        .where(CashRefund.paid_at.is_(None),
               func.coalesce(Dossier.post_office_id, submitter.post_office_id) == post_office_id)
        .order_by(CashRefund.authorised_at, CashRefund.id)
    ))
