"""Online payment of a dossier's fee and postage through VNPay: attempts, callbacks, querydr.

Only the IPN and querydr change a payment's state; the return page only reads. Services never
commit: the caller owns the transaction (one per use case).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from contracts.models import CashRefund
from payments.locking import lock_dossier_money
from payments.models import MONEY_RECEIVED, SETTLEABLE, Payment, PaymentStatus, Refund, RefundStatus, RejectedCallback
from payments.vnpay import (
    FULL_REFUND,
    PARTIAL_REFUND,
    ApiResult,
    ReturnResult,
    VnpayConfig,
    build_payment_url,
    ipn_response,
    parse_return,
    query_transaction,
)
from payments.vnpay.merchant_api import Transport, post_json
from postal_gateway.core.db import utcnow
from postal_gateway.core.domain import N_, Conflict, Forbidden, InvalidInput, NotFound
from postal_gateway.core.outbox import emit
from postal_gateway.dossiers.models import (
    CollectedAmount,
    CollectionMethod,
    Dossier,
    DossierStatus,
    PaymentKind,
)

log = logging.getLogger(__name__)

#: VNPay's default payment window
EXPIRE_MINUTES = 15
#: querydr waits this long past expiry, so a slow IPN gets its chance first
QUERY_GRACE = timedelta(minutes=5)
#: statuses in which nothing can be paid any more
CLOSED_DOSSIER = (DossierStatus.rejected, DossierStatus.withdrawn, DossierStatus.returned)


@dataclass(frozen=True)
class FeeBalance:
    """A dossier's lệ phí: owed, paid (every method, net of refunds) and refunded."""

    owed_vnd: int
    paid_vnd: int
    refunded_vnd: int

    @property
    def due_vnd(self) -> int:
        """Still to pay (negative when overpaid)."""
        return self.owed_vnd - self.paid_vnd

    @property
    def settled(self) -> bool:
        """Paid and owed agree: level-4 completion (R-14) may go ahead."""
        return self.paid_vnd == self.owed_vnd


def _collected(session: Session, dossier_id: int, kind: PaymentKind) -> int:
    return session.scalar(
        select(func.coalesce(func.sum(CollectedAmount.amount_vnd), 0)).where(
            CollectedAmount.dossier_id == dossier_id, CollectedAmount.kind == kind
        )
    ) or 0


def refunds_committed(session: Session, dossier_id: int, kind: PaymentKind = PaymentKind.fee) -> int:
    """Refunds of one line (the fee by default) authorised and not refused by VNPay: money on its
    way back or already back."""
    return session.scalar(
        select(func.coalesce(func.sum(Refund.amount_vnd), 0)).where(
            Refund.dossier_id == dossier_id, Refund.kind == kind, Refund.status != RefundStatus.failed
        )
    ) or 0


def fee_balance(session: Session, dossier: Dossier) -> FeeBalance:
    """Owed, paid and refunded fee of ``dossier`` (see ``fee_balances``)."""
    return fee_balances(session, [dossier])[dossier.id]


def fee_balances(session: Session, dossiers: list[Dossier]) -> dict[int, FeeBalance]:
    """Owed, paid and refunded fee of each dossier, by id, in three grouped queries: paid counts every
    CollectedAmount of kind fee, any method, minus refunds (requested, sent or completed: money
    promised back is not the agency's), those through VNPay and those authorised in cash at the post
    (``contracts.cash_refunds``, Điều 14.2.c)."""
    ids = [dossier.id for dossier in dossiers]
    if not ids:
        return {}
    collected = dict(session.execute(
        select(CollectedAmount.dossier_id, func.sum(CollectedAmount.amount_vnd))
        .where(CollectedAmount.dossier_id.in_(ids), CollectedAmount.kind == PaymentKind.fee)
        .group_by(CollectedAmount.dossier_id)
    ).all())
    refunded = dict(session.execute(
        select(Refund.dossier_id, func.sum(Refund.amount_vnd))
        .where(Refund.dossier_id.in_(ids), Refund.kind == PaymentKind.fee, Refund.status != RefundStatus.failed)
        .group_by(Refund.dossier_id)
    ).all())
    for dossier_id, amount in session.execute(
        select(CashRefund.dossier_id, func.sum(CashRefund.amount_vnd))
        .where(CashRefund.dossier_id.in_(ids))
        .group_by(CashRefund.dossier_id)
    ).all():
        refunded[dossier_id] = (refunded.get(dossier_id) or 0) + amount
    return {
        dossier.id: FeeBalance(
            owed_vnd=dossier.fee_vnd,
            paid_vnd=(collected.get(dossier.id) or 0) - (refunded.get(dossier.id) or 0),
            refunded_vnd=refunded.get(dossier.id) or 0,
        )
        for dossier in dossiers
    }


def fee_payable_online(dossier: Dossier, balance: FeeBalance) -> bool:
    """The citizen can still pay the lệ phí online: level 4, not closed, some of it unpaid."""
    return dossier.level == 4 and dossier.status not in CLOSED_DOSSIER and balance.due_vnd > 0


def completion_blocked(session: Session, dossier: Dossier) -> bool:
    """R-14: a level-4 dossier may not be completed while the fee paid and owed differ."""
    return dossier.level == 4 and not fee_balance(session, dossier).settled


# --- starting a payment -------------------------------------------------------------------------


def get_dossier(session: Session, code: object) -> Dossier:
    dossier = session.scalar(select(Dossier).where(Dossier.code == code)) if isinstance(code, str) and len(code) <= 32 else None
    if dossier is None:
        raise NotFound(N_("Không tìm thấy hồ sơ."))
    return dossier


def amounts_due(session: Session, dossier: Dossier) -> tuple[int, int]:
    """(fee, postage) still to pay online: what the dossier owes less what was collected."""
    fee = max(fee_balance(session, dossier).due_vnd, 0)
    postage_paid = _collected(session, dossier.id, PaymentKind.postage) - refunds_committed(
        session, dossier.id, PaymentKind.postage)
    postage = max(dossier.postage_vnd - postage_paid, 0)
    return fee, postage


def pending_attempt(session: Session, dossier: Dossier, now: datetime) -> Payment | None:
    """The dossier's open attempt whose payment window is still running, if any."""
    return session.scalars(
        select(Payment)
        .where(Payment.dossier_id == dossier.id, Payment.status == PaymentStatus.pending, Payment.expires_at > now)
        .order_by(Payment.id.desc())
        .execution_options(populate_existing=True)
    ).first()


def start_payment(
    session: Session, *, dossier: Dossier, citizen_id: int, ip_address: str, config: VnpayConfig, now: datetime
) -> tuple[Payment, str]:
    """A payment attempt for what ``dossier`` still owes and the VNPay address to send the citizen to.

    A dossier has at most one open (pending) attempt, enforced by the partial unique index
    ``uq_payments_one_pending_per_dossier``. Concurrent taps are serialised by the dossier's money
    lock, so every one of them gets the same open attempt; amounts come from the dossier. An open
    attempt past its window or for amounts no longer due is closed (expired) before a new one opens.
    """
    if dossier.citizen_id != citizen_id:
        raise NotFound(N_("Không tìm thấy hồ sơ."))
    if dossier.level != 4:
        raise Forbidden(N_("Chỉ hồ sơ mức độ 4 được thanh toán trực tuyến."))
    if dossier.status in CLOSED_DOSSIER:
        raise Conflict(N_("Hồ sơ đã kết thúc, không thể thanh toán."))
    lock_dossier_money(session, dossier.id)
    open_attempt = pending_attempt(session, dossier, now)
    fee, postage = amounts_due(session, dossier)
    if open_attempt is not None and (open_attempt.fee_vnd, open_attempt.postage_vnd) == (fee, postage):
        return open_attempt, payment_url(open_attempt, config)
    if fee + postage <= 0:
        raise Conflict(N_("Hồ sơ không còn khoản nào phải thanh toán."))
    _close_open_attempts(session, dossier.id)
    attempt = (session.scalar(select(func.max(Payment.attempt)).where(Payment.dossier_id == dossier.id)) or 0) + 1
    payment = Payment(
        txn_ref=f"{dossier.code}.{attempt}",
        dossier_id=dossier.id,
        agency_id=dossier.agency_id,
        attempt=attempt,
        fee_vnd=fee,
        postage_vnd=postage,
        amount_vnd=fee + postage,
        status=PaymentStatus.pending,
        created_at=now.replace(microsecond=0),
        expires_at=now.replace(microsecond=0) + timedelta(minutes=EXPIRE_MINUTES),
        ip_address=ip_address,
    )
    session.add(payment)
    session.flush()
    return payment, payment_url(payment, config)


def _close_open_attempts(session: Session, dossier_id: int) -> None:
    """Expire the dossier's pending attempts (past their window, or for amounts no longer due).

    Expired stays settleable: if VNPay did take money on one, its IPN or querydr still records it
    and ``settle`` queues a refund of what was paid twice.
    """
    session.execute(
        update(Payment)
        .where(Payment.dossier_id == dossier_id, Payment.status == PaymentStatus.pending)
        .values(status=PaymentStatus.expired)
        .execution_options(synchronize_session="fetch")
    )


def payment_url(payment: Payment, config: VnpayConfig) -> str:
    return build_payment_url(
        config,
        txn_ref=payment.txn_ref,
        amount_vnd=payment.amount_vnd,
        order_info=f"Thanh toan le phi ho so {payment.txn_ref.rsplit('.', 1)[0]}",
        ip_address=payment.ip_address,
        created_at=payment.created_at,
        expire_minutes=int((payment.expires_at - payment.created_at).total_seconds() // 60),
    )


# --- callbacks ----------------------------------------------------------------------------------


def _safe_params(params: Mapping[str, object]) -> dict:
    """What we keep of a callback for audit: short strings only, never a secret (we hold none here)."""
    kept = {}
    for key, value in list(params.items())[:60]:
        kept[str(key)[:64]] = str(value)[:300]
    return kept


def log_rejection(
    session: Session, *, source: str, code: str, reason: str, params: Mapping[str, object], remote_addr: str = "", now: datetime | None = None
) -> RejectedCallback:
    txn_ref = params.get("vnp_TxnRef")
    row = RejectedCallback(
        received_at=now or utcnow(),
        source=source,
        code=code,
        reason=reason[:255],
        txn_ref=str(txn_ref)[:100] if txn_ref is not None else "",
        remote_addr=(remote_addr or "")[:45],
        params=_safe_params(params),
    )
    session.add(row)
    log.warning("payments: %s callback rejected (%s %s) txn_ref=%s", source, code, reason, row.txn_ref)
    return row


def settle(
    session: Session,
    payment: Payment,
    *,
    paid: bool,
    response_code: str,
    transaction_status: str,
    transaction_no: str,
    bank_code: str,
    pay_date: datetime | None,
    via: str,
    now: datetime,
) -> bool:
    """Record VNPay's outcome once. A conditional UPDATE decides the race: of two concurrent
    duplicate callbacks exactly one sees the row still settleable; the other gets False.

    Money taken is recorded, each line pointing at this payment (one row per line, unique). A
    line the dossier no longer owed (already paid by another attempt or at the post) is not the
    agency's or the post's: it is refunded, queued for the refund job at once (R-13).
    """
    lock_dossier_money(session, payment.dossier_id)
    new_status = PaymentStatus.paid if paid else PaymentStatus.failed
    result = session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status.in_(SETTLEABLE))
        .values(
            status=new_status,
            settled_at=now,
            settled_via=via,
            pay_date=pay_date or (now if paid else None),
            response_code=response_code[:4],
            transaction_status=transaction_status[:4],
            transaction_no=transaction_no[:32],
            bank_code=bank_code[:20],
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    session.refresh(payment)
    if paid:
        dossier = session.get(Dossier, payment.dossier_id)
        fee_due, postage_due = amounts_due(session, dossier)
        for kind, amount, still_due in (
            (PaymentKind.fee, payment.fee_vnd, fee_due),
            (PaymentKind.postage, payment.postage_vnd, postage_due),
        ):
            if amount <= 0:
                continue
            session.add(CollectedAmount(
                dossier_id=payment.dossier_id, payment_id=payment.id, kind=kind, method=CollectionMethod.online,
                amount_vnd=amount, collected_at=payment.pay_date or now,
            ))
            if amount > still_due:
                _queue_overpayment_refund(session, payment, kind, amount - still_due, now=now)
        emit(
            session, "payment.settled", aggregate_type="dossier", aggregate_id=dossier.code,
            payload={
                "dossier_code": dossier.code, "txn_ref": payment.txn_ref, "fee_vnd": payment.fee_vnd,
                "postage_vnd": payment.postage_vnd, "amount_vnd": payment.amount_vnd,
                "transaction_no": payment.transaction_no, "via": via,
                "pay_date": (payment.pay_date or now).isoformat(),
            },
            occurred_at=now,
        )
    session.flush()
    return True


#: reason recorded on a refund queued for money paid twice (data shown to agency staff, not a UI string)
OVERPAYMENT_REASON = {
    PaymentKind.fee: "Thanh toán trùng: lệ phí đã được nộp đủ, hoàn lại tự động.",
    PaymentKind.postage: "Thanh toán trùng: cước đã được nộp đủ, hoàn lại tự động.",
}


def _queue_overpayment_refund(session: Session, payment: Payment, kind: PaymentKind, amount_vnd: int, *, now: datetime) -> Refund:
    """A refund of a line paid twice, authorised by no one (the rule authorises it), left
    ``requested`` for ``payments.tasks.send_refunds`` to send once this settlement is committed."""
    refund = Refund(
        dossier_id=payment.dossier_id, payment_id=payment.id, amount_vnd=amount_vnd, kind=kind,
        transaction_type=FULL_REFUND if amount_vnd == payment.amount_vnd else PARTIAL_REFUND,
        reason=OVERPAYMENT_REASON[kind], authorised_by_id=None,
        idempotency_key=f"overpaid-{payment.id}-{kind.value}", status=RefundStatus.requested, created_at=now,
    )
    session.add(refund)
    log.warning("payments: %s of %s paid twice (%s VND): refund queued", kind.value, payment.txn_ref, amount_vnd)
    return refund


def handle_ipn(
    session: Session, params: Mapping[str, str], *, config: VnpayConfig, now: datetime, remote_addr: str = ""
) -> dict[str, str]:
    """VNPay's IPN: checks in VNPay's order (97, 01, 04, 02) and settles the payment once (00).

    Unexpected errors are the caller's to turn into 99 (after a rollback), see ``ipn_failed``.
    """
    result = parse_return(params, config.hash_secret)

    def reject(code: str, reason: str) -> dict[str, str]:
        log_rejection(session, source="ipn", code=code, reason=reason, params=params, remote_addr=remote_addr, now=now)
        return ipn_response(code)

    if not result.verified or result.tmn_code != config.tmn_code:
        return reject("97", "signature does not verify" if not result.verified else "terminal code is not ours")
    payment = session.scalar(select(Payment).where(Payment.txn_ref == result.txn_ref)) if result.txn_ref else None
    if payment is None:
        return reject("01", "no payment with this vnp_TxnRef")
    if result.amount_vnd != payment.amount_vnd:
        return reject("04", f"amount {result.amount_vnd} differs from {payment.amount_vnd}")
    if payment.status not in SETTLEABLE:
        return reject("02", f"already {payment.status.value}")
    if not settle(
        session, payment, paid=result.succeeded, response_code=result.response_code,
        transaction_status=result.transaction_status, transaction_no=result.transaction_no,
        bank_code=result.bank_code, pay_date=result.pay_date, via="ipn", now=now,
    ):
        return reject("02", "settled by a concurrent callback")
    return ipn_response("00")


def ipn_failed(session: Session, params: Mapping[str, str], error: Exception, *, remote_addr: str = "") -> dict[str, str]:
    """After an unexpected error (and a rollback): log it and answer 99 so VNPay retries."""
    log_rejection(session, source="ipn", code="99", reason=f"unexpected error: {type(error).__name__}",
                  params=params, remote_addr=remote_addr)
    return ipn_response("99")


@dataclass(frozen=True)
class ReturnView:
    """What the return page shows: VNPay's report and our own record, which only the IPN changes."""

    result: ReturnResult
    payment: Payment | None

    @property
    def confirmed(self) -> bool:
        return self.payment is not None and self.payment.status in MONEY_RECEIVED


def read_return(session: Session, params: Mapping[str, str], *, config: VnpayConfig, now: datetime, remote_addr: str = "") -> ReturnView:
    """The browser's return from VNPay: verified, never acted upon; a forged one is logged."""
    result = parse_return(params, config.hash_secret)
    if not result.verified:
        log_rejection(session, source="return", code="97", reason="signature does not verify",
                      params=params, remote_addr=remote_addr, now=now)
        raise InvalidInput(N_("Kết quả thanh toán không hợp lệ (sai chữ ký)."))
    payment = session.scalar(select(Payment).where(Payment.txn_ref == result.txn_ref))
    return ReturnView(result, payment)


# --- querydr: lost IPNs ---------------------------------------------------------------------------


def payments_to_query(session: Session, *, now: datetime, limit: int = 100) -> list[int]:
    """Attempts VNPay may still know a payment for, past expiry (plus a grace period), oldest first."""
    return list(session.scalars(
        select(Payment.id)
        .where(
            # pending, or closed by a newer attempt before VNPay was ever asked about it
            or_(Payment.status == PaymentStatus.pending,
                (Payment.status == PaymentStatus.expired) & Payment.last_queried_at.is_(None)),
            Payment.expires_at < now - QUERY_GRACE,
        )
        .order_by(Payment.expires_at)
        .limit(limit)
    ))


def apply_query_result(session: Session, payment: Payment, answer: ApiResult, *, now: datetime) -> str:
    """Act on a querydr answer: paid, failed, expired (VNPay knows no such payment) or left pending."""
    # the dossier's lock before any write to the payment: the same order as start_payment and settle
    lock_dossier_money(session, payment.dossier_id)
    payment.last_queried_at = now
    if not answer.verified:
        log_rejection(session, source="querydr", code=answer.response_code[:4] or "97",
                      reason="answer does not verify", params=answer.raw, now=now)
        return "unverified"
    if answer.response_code == "91":
        updated = session.execute(
            update(Payment).where(Payment.id == payment.id, Payment.status == PaymentStatus.pending)
            .values(status=PaymentStatus.expired).execution_options(synchronize_session=False)
        ).rowcount
        session.refresh(payment)
        return "expired" if updated else "unchanged"
    if not answer.succeeded:
        return "unchanged"
    if answer.paid and answer.amount_vnd != payment.amount_vnd:
        log_rejection(session, source="querydr", code="04", reason=f"amount {answer.amount_vnd} differs",
                      params=answer.raw, now=now)
        return "amount_differs"
    if answer.transaction_status == "01":  # still in progress at VNPay
        return "unchanged"
    settled = settle(
        session, payment, paid=answer.paid, response_code="00" if answer.paid else answer.raw.get("vnp_ResponseCode", ""),
        transaction_status=answer.transaction_status, transaction_no=answer.transaction_no,
        bank_code=str(answer.raw.get("vnp_BankCode") or ""), pay_date=answer.pay_date, via="querydr", now=now,
    )
    if not settled:
        return "unchanged"
    return "paid" if answer.paid else "failed"


def query_payment(
    session: Session, payment_id: int, *, config: VnpayConfig, now: datetime, server_ip: str = "127.0.0.1",
    transport: Transport = post_json,
) -> str:
    """Ask VNPay about one attempt and act on the answer; the caller commits."""
    payment = session.get(Payment, payment_id)
    if payment is None or payment.status not in SETTLEABLE:
        return "unchanged"
    answer = query_transaction(
        config, txn_ref=payment.txn_ref, transaction_date=payment.created_at, ip_address=server_ip,
        now=now, transport=transport,
    )
    return apply_query_result(session, payment, answer, now=now)
