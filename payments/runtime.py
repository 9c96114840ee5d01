"""Glue between the payments area and where it runs (web request, Celery worker, CLI): the settings,
which agency's terminal, and how to reach the merchant API and the IPN URL. The local sandbox is
reached in-process, in its own session, so the app never waits on an HTTP call to itself."""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from payments import services, terminals
from payments.models import Payment
from payments.sandbox import gateway
from payments.sandbox.gateway import handle_api, http_ipn_sender
from payments.settings import API_PATH, DEMO_TMN_CODE
from payments.vnpay import VnpayConfig, ipn_response
from payments.vnpay.merchant_api import Transport, post_json
from postal_gateway.core.config import Settings, process_settings
from postal_gateway.core.db import SessionFactory, bind_once, utcnow
from postal_gateway.core.domain import N_, InvalidInput
from postal_gateway.core.unit_of_work import unit_of_work


def settings() -> Settings:
    """The app's settings in a request; elsewhere (tasks, threads) the ones this process was built with."""
    if has_app_context():
        return current_app.config["SETTINGS"]
    return process_settings()


def base_url() -> str:
    return settings().public_base_url


def sandbox_on() -> bool:
    return settings().vnpay_sandbox


def config_for_agency(session: Session, agency_id: int) -> VnpayConfig | None:
    """The terminal of ``agency_id`` (None when it takes no online payment now)."""
    return terminals.config_for_agency(session, settings(), agency_id)


def config_for_callback(session: Session, params: Mapping[str, object]) -> VnpayConfig | None:
    """The terminal a return or IPN must be verified with: the one of the paid dossier's agency, so a
    callback signed for another terminal (or with the public demo secret) never settles it."""
    txn_ref = params.get("vnp_TxnRef")
    payment = (session.scalar(select(Payment).where(Payment.txn_ref == txn_ref))
               if isinstance(txn_ref, str) and 0 < len(txn_ref) <= 100 else None)
    if payment is not None:
        return config_for_agency(session, payment.agency_id)
    return terminals.config_for_code(session, settings(), params.get("vnp_TmnCode"))


def sandbox_config(session: Session, tmn_code: object) -> VnpayConfig:
    """The demo terminal the sandbox plays VNPay for; an unknown code gets the shared demo terminal,
    whose checks then refuse the request as VNPay would (wrong terminal)."""
    return (terminals.demo_terminal_config(session, settings(), tmn_code)
            or terminals.sandbox_config(settings(), DEMO_TMN_CODE))


def is_local_sandbox(config: VnpayConfig | None) -> bool:
    """True when the terminal's merchant API is the sandbox served by this very app, switched on."""
    return config is not None and sandbox_on() and config.api_url == base_url().rstrip("/") + API_PATH


def own_session() -> Session:
    """A session of its own, outside any web request's (the worker, the in-process sandbox, an IPN)."""
    bind_once(settings().database_url)
    return SessionFactory()


def local_sandbox_transport(url: str, payload: dict, timeout: float) -> dict:
    """The sandbox's merchant API called in-process; JSON round trips keep it honest."""
    with own_session() as bare, unit_of_work(bare) as session:
        config = sandbox_config(session, payload.get("vnp_TmnCode"))
        answer = handle_api(session, json.loads(json.dumps(payload)), config=config, now=utcnow())
    return json.loads(json.dumps(answer))


def merchant_transport(vnpay: VnpayConfig) -> Transport:
    return local_sandbox_transport if is_local_sandbox(vnpay) else post_json


def process_ipn(params: dict, *, remote_addr: str = "") -> dict:
    """Handle one IPN call in its own transaction; an unexpected error is logged and answered 99."""
    with own_session() as bare:
        try:
            with unit_of_work(bare) as session:
                return _answer_ipn(session, params, remote_addr=remote_addr)
        except Exception as error:  # noqa: BLE001 - VNPay must get 99 and retry
            # a second unit of work: the failure is recorded although the IPN's own changes were rolled back
            with unit_of_work(bare) as session:
                return services.ipn_failed(session, params, error, remote_addr=remote_addr)


def _answer_ipn(session: Session, params: dict, *, remote_addr: str) -> dict:
    config = config_for_callback(session, params)
    if config is None:
        services.log_rejection(session, source="ipn", code="97", reason="no usable terminal for this callback",
                               params=params, remote_addr=remote_addr, now=utcnow())
        return ipn_response("97")
    return services.handle_ipn(session, params, config=config, now=utcnow(), remote_addr=remote_addr)


def read_return(session: Session, params: Mapping[str, str], *, remote_addr: str = ""):
    """The browser's return from VNPay, verified with the terminal of the dossier's agency."""
    config = config_for_callback(session, params)
    if config is None:
        services.log_rejection(session, source="return", code="97", reason="no usable terminal for this callback",
                      params=params, remote_addr=remote_addr, now=utcnow())
        raise InvalidInput(N_("Kết quả thanh toán không hợp lệ (sai chữ ký)."))
    return services.read_return(session, params, config=config, now=utcnow(), remote_addr=remote_addr)


def ipn_sender():
    """How the sandbox calls the IPN URL: over HTTP when PAYMENTS_SANDBOX_IPN_URL is set, else in-process."""
    url = settings().payments_sandbox_ipn_url
    if url:
        return http_ipn_sender(url)
    return lambda params: process_ipn(params, remote_addr="sandbox")


def deliver_sandbox_ipns(*, now: datetime, skip_reordered: bool = False) -> int:
    """Make every due IPN call of the sandbox, each delivery in its own transaction; how many were made."""
    with own_session() as session:
        due = gateway.due_deliveries(session, now=now, skip_reordered=skip_reordered)
    send = ipn_sender()
    for delivery_id in due:
        with own_session() as bare, unit_of_work(bare) as session:
            gateway.deliver(session, delivery_id, send=send, now=now)
    return len(due)
