"""Refunds of online fees (R-13): authorised by an agency admin with a reason, idempotent, sent to
VNPay's refund API after the authorisation is committed, tracked to completion.

Rule for a completed result: no refund once the result is ready (result_ready: completed, the
citizen has not collected it, Điều 14.2.c) or handed over (returned: the service was performed).
A dossier flag ``result_uncollected`` (if the dossiers area adds one) is honoured too.
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from payments.locking import lock_dossier_money
from payments.models import MONEY_RECEIVED, GatewayTransaction, Payment, PaymentStatus, Refund, RefundStatus
from payments.services import log_rejection, refunds_committed
from payments.vnpay import FULL_REFUND, PARTIAL_REFUND, VnpayConfig, VnpayTransportError, refund_transaction
from payments.vnpay.merchant_api import Transport, post_json
from postal_gateway.accounts.models import Role, User
from postal_gateway.core.db import utcnow
from postal_gateway.core.domain import N_, Conflict, FieldError, Forbidden, InvalidInput
from postal_gateway.dossiers.models import Dossier, PaymentKind

_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")
#: statuses meaning the result is completed: no refund (R-13)
RESULT_COMPLETED = ("result_ready", "result_with_post", "returned")


def result_completed(dossier: Dossier) -> bool:
    status = getattr(dossier.status, "value", dossier.status)
    return status in RESULT_COMPLETED or bool(getattr(dossier, "result_uncollected", False))


def refundable_payment(session: Session, dossier: Dossier, *, lock: bool = False) -> tuple[Payment | None, int]:
    """The paid attempt with the most fee left to refund, and how much fee is left overall.

    With ``lock`` the dossier's money lock is taken first (see ``payments.locking``): the figures
    then stay true until the transaction ends, on PostgreSQL and on SQLite alike.
    """
    if lock:
        lock_dossier_money(session, dossier.id)
    query = (
        select(Payment).where(Payment.dossier_id == dossier.id, Payment.status.in_(MONEY_RECEIVED)).order_by(Payment.id)
        .execution_options(populate_existing=True)
    )
    payments = list(session.scalars(query))
    online_fee = sum(p.fee_vnd for p in payments)
    left = online_fee - refunds_committed(session, dossier.id)
    fee_refunded = _committed_by_payment(session, dossier.id, PaymentKind.fee)
    best = max(payments, key=lambda p: p.fee_vnd - fee_refunded.get(p.id, 0), default=None)
    return best, max(left, 0)


def _committed_by_payment(session: Session, dossier_id: int, kind: PaymentKind | None = None) -> dict[int, int]:
    """Refunds not refused by VNPay, summed per payment (of one line, or of both)."""
    query = (
        select(Refund.payment_id, func.sum(Refund.amount_vnd))
        .where(Refund.dossier_id == dossier_id, Refund.status != RefundStatus.failed)
        .group_by(Refund.payment_id)
    )
    if kind is not None:
        query = query.where(Refund.kind == kind)
    return dict(session.execute(query).all())


def request_refund(
    session: Session,
    *,
    dossier: Dossier,
    amount_vnd: int,
    reason: str,
    authorised_by: User,
    idempotency_key: str,
    now: datetime | None = None,
) -> Refund:
    """Authorise a refund of ``amount_vnd`` of the dossier's online fee. The same key again (a double
    click) returns the same refund; VNPay is called later by ``send_refund`` once this is committed."""
    now = now or utcnow()
    if authorised_by.role != Role.agency_admin or authorised_by.agency_id != dossier.agency_id:
        raise Forbidden(N_("Chỉ quản trị của cơ quan xử lý hồ sơ được duyệt hoàn phí."))
    errors = []
    if not isinstance(idempotency_key, str) or not _KEY.fullmatch(idempotency_key):
        errors.append(FieldError("idempotency_key", N_("Mã chống gửi trùng không hợp lệ; hãy tải lại trang.")))
    if isinstance(amount_vnd, bool) or not isinstance(amount_vnd, int) or amount_vnd <= 0:
        errors.append(FieldError("amount_vnd", N_("Số tiền hoàn phải là số nguyên dương (đồng).")))
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        errors.append(FieldError("reason", N_("Cần ghi lý do hoàn phí.")))
    elif len(reason) > 1000:
        errors.append(FieldError("reason", N_("Lý do tối đa 1000 ký tự.")))
    if errors:
        raise InvalidInput(errors[0].message, field_errors=errors)
    existing = session.scalar(select(Refund).where(Refund.dossier_id == dossier.id, Refund.idempotency_key == idempotency_key))
    if existing is not None:
        return _same_or_conflict(existing, amount_vnd, reason)
    if result_completed(dossier):
        raise Conflict(N_("Hồ sơ đã có kết quả; công dân không nhận kết quả thì không được hoàn phí (Điều 14.2.c)."))
    payment, left = refundable_payment(session, dossier, lock=True)
    # a concurrent click with the same key may have committed while this one waited for the lock
    existing = session.scalar(select(Refund).where(Refund.dossier_id == dossier.id, Refund.idempotency_key == idempotency_key))
    if existing is not None:
        return _same_or_conflict(existing, amount_vnd, reason)
    if payment is None:
        raise Conflict(N_("Hồ sơ không có khoản lệ phí nào đã thanh toán trực tuyến để hoàn."))
    # every refund not refused counts, completed or not: two authorisations in a row cannot both
    # take the same money back from VNPay
    payment_left = payment.amount_vnd - _committed_by_payment(session, dossier.id).get(payment.id, 0)
    if amount_vnd > min(left, payment_left):
        raise InvalidInput.on_field("amount_vnd", N_("Số tiền hoàn vượt quá lệ phí đã thanh toán còn có thể hoàn (%(left)s đồng)."),
                                    left=min(left, payment_left))
    refund = Refund(
        dossier_id=dossier.id, payment_id=payment.id, amount_vnd=amount_vnd,
        transaction_type=FULL_REFUND if amount_vnd == payment_left else PARTIAL_REFUND,
        reason=reason, authorised_by_id=authorised_by.id, idempotency_key=idempotency_key,
        status=RefundStatus.requested, created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(refund)
    except IntegrityError:  # the same key committed by a concurrent click
        existing = session.scalar(select(Refund).where(Refund.dossier_id == dossier.id, Refund.idempotency_key == idempotency_key))
        return _same_or_conflict(existing, amount_vnd, reason)
    return refund


def _same_or_conflict(existing: Refund, amount_vnd: int, reason: str) -> Refund:
    if existing.amount_vnd != amount_vnd or existing.reason != reason:
        raise Conflict(N_("Mã chống gửi trùng đã dùng cho một yêu cầu hoàn phí khác."))
    return existing


def _complete(session: Session, refund: Refund, now: datetime) -> None:
    refund.status = RefundStatus.completed
    refund.completed_at = now
    # one UPDATE reading the row's current value: two refunds completing at once both count
    refunded = Payment.refunded_vnd + refund.amount_vnd
    fully = refunded >= Payment.amount_vnd
    session.execute(
        update(Payment)
        .where(Payment.id == refund.payment_id)
        .values(
            refunded_vnd=case((fully, Payment.amount_vnd), else_=refunded),
            status=case((fully, PaymentStatus.refunded.value), else_=PaymentStatus.partially_refunded.value),
        )
        .execution_options(synchronize_session=False)
    )
    payment = session.get(Payment, refund.payment_id)
    if payment is not None:
        session.refresh(payment)


def _created_by(admin: User | None) -> str:
    """vnp_CreateBy: the admin who authorised the refund, or the rule that queued it."""
    if admin is None:
        return "system-overpayment"
    return admin.email or f"user{admin.id}"


def send_refund(
    session: Session, refund_id: int, *, config: VnpayConfig, now: datetime, server_ip: str = "127.0.0.1",
    transport: Transport = post_json,
) -> RefundStatus:
    """Call VNPay's refund API for a requested refund and record the answer; the caller commits.
    Call only after the request itself was committed (no transaction is held across the call)."""
    refund = session.get(Refund, refund_id)
    if refund is None or refund.status != RefundStatus.requested:
        return refund.status if refund is not None else RefundStatus.failed
    payment = refund.payment
    admin = refund.authorised_by
    refund.attempts += 1
    try:
        answer = refund_transaction(
            config, txn_ref=payment.txn_ref, amount_vnd=refund.amount_vnd, transaction_type=refund.transaction_type,
            transaction_date=payment.created_at, created_by=_created_by(admin), ip_address=server_ip,
            order_info=f"Hoan le phi ho so {refund.dossier_id}", now=now, transaction_no=payment.transaction_no,
        transport=transport,
        )
    except VnpayTransportError as error:
        refund.message = str(error)[:255]
        return refund.status  # stays requested: the job retries
    refund.request_id = answer.raw.get("vnp_ResponseId", "")[:32] if isinstance(answer.raw.get("vnp_ResponseId"), str) else ""
    refund.response_code = answer.response_code[:4]
    refund.message = answer.message[:255]
    if answer.succeeded:
        if answer.transaction_status in ("", "00"):
            _complete(session, refund, now)
        else:  # 05 / 06: VNPay is returning the money; the daily file confirms it
            refund.status = RefundStatus.sent
    elif answer.response_code == "94" or (answer.response_code == "95" and refund.attempts > 1):
        refund.status = RefundStatus.sent  # a refund is already under way (maybe our own lost call)
    elif answer.response_code in ("02", "03", "91", "95", "97", "99"):
        refund.status = RefundStatus.failed
    else:
        log_rejection(session, source="refund", code=answer.response_code[:4] or "97", reason="answer does not verify",
                      params=answer.raw, now=now)
    return refund.status


def complete_from_gateway_file(session: Session) -> int:
    """Refunds VNPay accepted (sent) that the imported daily file shows done: completed."""
    rows = session.execute(
        select(Refund, GatewayTransaction.pay_date)
        .join(Payment, Payment.id == Refund.payment_id)
        .join(GatewayTransaction, (GatewayTransaction.txn_ref == Payment.txn_ref)
              & (GatewayTransaction.amount_vnd == Refund.amount_vnd)
              & GatewayTransaction.transaction_type.in_(("02", "03"))
              & (GatewayTransaction.transaction_status == "00"))
        .where(Refund.status == RefundStatus.sent)
    ).all()
    done = set()
    for refund, pay_date in rows:
        if refund.id not in done:
            _complete(session, refund, pay_date)
            done.add(refund.id)
    return len(done)
