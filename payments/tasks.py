"""Periodic work of the payments area (Celery beat): querydr of pending payments past expiry, refunds
still to send, and the local sandbox's due IPN calls."""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from payments import refunds, runtime, services
from payments.models import Payment, Refund, RefundStatus
from payments.vnpay import VnpayTransportError
from postal_gateway.core.db import utcnow
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.core.worker import celery_app

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
    with runtime.own_session() as session:
        ids = services.payments_to_query(session, now=utcnow(), limit=limit)
    for payment_id in ids:
        try:
            with runtime.own_session() as bare, unit_of_work(bare) as session:
                outcome = _query_one(session, payment_id)
        except VnpayTransportError as error:
            log.warning("payments: querydr unreachable for payment %s: %s", payment_id, error)
            outcome = "unreachable"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def _query_one(session: Session, payment_id: int) -> str:
    # each payment is asked about through its own agency's terminal
    vnpay = runtime.config_for_agency(session, session.get(Payment, payment_id).agency_id)
    if vnpay is None:
        return "no_terminal"
    return services.query_payment(session, payment_id, config=vnpay, now=utcnow(),
                                  transport=runtime.merchant_transport(vnpay))


def send_refunds() -> int:
    """Send refunds authorised but not yet accepted by VNPay (e.g. VNPay was unreachable)."""
    with runtime.own_session() as session:
        ids = list(session.scalars(select(Refund.id).where(Refund.status == RefundStatus.requested, Refund.attempts < 10)))
    for refund_id in ids:
        with runtime.own_session() as bare, unit_of_work(bare) as session:
            vnpay = runtime.config_for_agency(session, session.get(Refund, refund_id).payment.agency_id)
            if vnpay is not None:  # otherwise the agency's terminal is not usable now: left requested
                refunds.send_refund(session, refund_id, config=vnpay, now=utcnow(),
                                    transport=runtime.merchant_transport(vnpay))
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
    return runtime.deliver_sandbox_ipns(now=utcnow())
