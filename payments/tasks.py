"""Periodic work of the payments area (Celery beat): querydr of pending payments past expiry, refunds
still to send, and the local sandbox's due IPN calls."""
from __future__ import annotations

import logging

from payments import refunds, runtime, services
from payments.models import Payment, Refund, RefundStatus
from payments.sandbox import gateway
from payments.vnpay import VnpayTransportError
from postal_gateway.db import utcnow
from postal_gateway.worker import celery_app

log = logging.getLogger(__name__)

BEAT_SCHEDULE = {
    "payments-query-pending": {"task": "payments.query_pending", "schedule": 300.0},
    "payments-send-refunds": {"task": "payments.send_refunds", "schedule": 300.0},
    "payments-sandbox-ipns": {"task": "payments.sandbox_deliver", "schedule": 30.0},
}


def query_pending(limit: int = 100) -> dict[str, int]:
    """Ask VNPay (querydr) about every pending attempt past expiry, each in its own transaction,
    so a lost IPN never leaves a paid dossier unpaid."""
    outcomes: dict[str, int] = {}
    with runtime._bound_session() as session:
        ids = services.payments_to_query(session, now=utcnow(), limit=limit)
    for payment_id in ids:
        with runtime._bound_session() as session:
            # each payment is asked about through its own agency's terminal
            vnpay = runtime.config_for_agency(session, session.get(Payment, payment_id).agency_id)
            if vnpay is None:
                outcomes["no_terminal"] = outcomes.get("no_terminal", 0) + 1
                continue
            try:
                outcome = services.query_payment(session, payment_id, config=vnpay, now=utcnow(),
                                                 transport=runtime.merchant_transport(vnpay))
                session.commit()
            except VnpayTransportError as error:
                session.rollback()
                log.warning("payments: querydr unreachable for payment %s: %s", payment_id, error)
                outcome = "unreachable"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def send_refunds() -> int:
    """Send refunds authorised but not yet accepted by VNPay (e.g. VNPay was unreachable)."""
    from sqlalchemy import select


    with runtime._bound_session() as session:
        ids = list(session.scalars(select(Refund.id).where(Refund.status == RefundStatus.requested, Refund.attempts < 10)))
    for refund_id in ids:
        with runtime._bound_session() as session:
            vnpay = runtime.config_for_agency(session, session.get(Refund, refund_id).payment.agency_id)
            if vnpay is None:  # the agency's terminal is not usable now: left requested
                continue
            refunds.send_refund(session, refund_id, config=vnpay, now=utcnow(), transport=runtime.merchant_transport(vnpay))
            session.commit()
    return len(ids)


@celery_app.task(name="payments.query_pending")
def query_pending_task() -> dict[str, int]:
    return query_pending()


@celery_app.task(name="payments.send_refunds")
def send_refunds_task() -> int:
    return send_refunds()


@celery_app.task(name="payments.sandbox_deliver")
def sandbox_deliver_task() -> int:
    if not runtime.sandbox_on():
        return 0
    return gateway.deliver_due(runtime._bound_session, send=runtime.ipn_sender(), now=utcnow())
