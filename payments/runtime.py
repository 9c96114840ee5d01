"""Glue between the payments area and where it runs (web request, Celery worker, CLI): which
terminal, and how to reach the merchant API and the IPN URL. The local sandbox is reached
in-process, in its own session, so the app never waits on an HTTP call to itself."""
from __future__ import annotations

import json
import os

from payments.settings import is_local_sandbox, vnpay_config  # noqa: F401 (is_local_sandbox re-exported)
from payments.vnpay import VnpayConfig
from payments.vnpay.merchant_api import Transport, post_json
from postal_gateway.db import SessionFactory, utcnow


def base_url() -> str:
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app.config["SETTINGS"].public_base_url
    from postal_gateway.config import Settings

    return Settings.from_environment().public_base_url


def config() -> VnpayConfig:
    return vnpay_config(base_url())


def _bound_session():
    if SessionFactory.kw.get("bind") is None:  # a bare worker process: bind once
        from postal_gateway.config import Settings
        from postal_gateway.db import bind_engine, make_engine

        bind_engine(make_engine(Settings.from_environment().database_url))
    return SessionFactory()


def local_sandbox_transport(url: str, payload: dict, timeout: float) -> dict:
    """The sandbox's merchant API called in-process; JSON round trips keep it honest."""
    from payments.sandbox.gateway import handle_api

    session = _bound_session()
    try:
        answer = handle_api(session, json.loads(json.dumps(payload)), config=config(), now=utcnow())
        session.commit()
        return json.loads(json.dumps(answer))
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def merchant_transport(vnpay: VnpayConfig | None = None) -> Transport:
    return local_sandbox_transport if is_local_sandbox(vnpay or config(), base_url()) else post_json


def process_ipn(params: dict, *, remote_addr: str = "") -> dict:
    """Handle one IPN call in its own transaction; an unexpected error is logged and answered 99."""
    from payments.services import handle_ipn, ipn_failed

    session = _bound_session()
    try:
        answer = handle_ipn(session, params, config=config(), now=utcnow(), remote_addr=remote_addr)
        session.commit()
        return answer
    except Exception as error:  # noqa: BLE001 - VNPay must get 99 and retry
        session.rollback()
        answer = ipn_failed(session, params, error, remote_addr=remote_addr)
        session.commit()
        return answer
    finally:
        session.close()


def ipn_sender():
    """How the sandbox calls the IPN URL: over HTTP when PAYMENTS_SANDBOX_IPN_URL is set, else in-process."""
    from payments.sandbox.gateway import http_ipn_sender

    url = os.environ.get("PAYMENTS_SANDBOX_IPN_URL")
    if url:
        return http_ipn_sender(url)
    return lambda params: process_ipn(params, remote_addr="sandbox")
