"""Which VNPay terminal an agency is paid through, and the settings that may never run together.

Secrets: a terminal row names the environment variable holding its hash secret
(``hash_secret_variable``, by convention ``VNPAY_HASH_SECRET_<TMN CODE>``); Settings reads every
``VNPAY_HASH_SECRET*`` variable, and the secret exists only in memory, inside VnpayConfig.

The rules (checked when the app starts, and again each time a terminal is used):
- the local sandbox is a development tool, served only when VNPAY_SANDBOX is on, and never beside a
  real terminal: with it on, a citizen could replay a payment request to it and pick "success";
- a real terminal needs its own secret, never missing and never the public demo secret, or anyone
  could sign an IPN that settles a payment;
- a demo terminal (and the shared demo terminal that agencies without one of their own use) exists
  only while the sandbox is on: with it off, the demo secret verifies nothing.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from payments.settings import DEMO_HASH_SECRET, DEMO_TMN_CODE, demo_config, return_url
from payments.terminal_models import MerchantTerminal
from payments.vnpay import VnpayConfig
from postal_gateway.catalogue.models import Agency
from postal_gateway.core.config import Settings
from postal_gateway.core.domain import N_, Conflict, InvalidInput

log = logging.getLogger(__name__)

SECRET_VARIABLE_PREFIX = "VNPAY_HASH_SECRET"


class TerminalMisconfigured(RuntimeError):
    """Settings and terminals that must not run together; the message names what to change."""


def secret_variable_for(tmn_code: str) -> str:
    """The conventional variable holding a terminal's secret, e.g. VNPAY_HASH_SECRET_HCM00001."""
    return f"{SECRET_VARIABLE_PREFIX}_{tmn_code.upper()}"


def terminal_problems(settings: Settings, terminal: MerchantTerminal) -> list[str]:
    """What forbids using ``terminal`` under ``settings``, as sentences naming the variable to fix."""
    if terminal.sandbox:
        return []
    problems = []
    if settings.vnpay_sandbox:
        problems.append(
            f"VNPAY_SANDBOX is on while agency terminal {terminal.tmn_code} is a real VNPay terminal: "
            "the local sandbox would let anyone mark a payment paid. Turn VNPAY_SANDBOX off."
        )
    secret = settings.vnpay_hash_secrets.get(terminal.hash_secret_variable, "")
    if not secret.strip():
        problems.append(
            f"{terminal.hash_secret_variable or secret_variable_for(terminal.tmn_code)} is not set: "
            f"it must hold the hash secret VNPay issued for terminal {terminal.tmn_code}."
        )
    elif secret == DEMO_HASH_SECRET:
        problems.append(
            f"{terminal.hash_secret_variable} holds the public demo secret: "
            f"set the hash secret VNPay issued for terminal {terminal.tmn_code}."
        )
    return problems


def configuration_problems(settings: Settings, terminals: Iterable[MerchantTerminal]) -> list[str]:
    # a deployment still configured for one shared terminal must not start as if nothing had changed
    retired = [
        f"{name} is no longer read: give each agency its terminal with `flask payments terminal` "
        f"(its secret in {SECRET_VARIABLE_PREFIX}_<TMN_CODE>), then unset {name}."
        for name in settings.vnpay_retired_variables
    ]
    return retired + [problem for terminal in terminals for problem in terminal_problems(settings, terminal)]


def check_terminals(settings: Settings, engine: Engine) -> None:
    """Refuse to start (TerminalMisconfigured) when the terminals and settings may not run together.

    A database without the table yet (before ``alembic upgrade``) has no terminal to check; one that
    cannot be reached is left to the checks made each time a terminal is used.
    """
    terminals: list[MerchantTerminal] = []
    try:
        with engine.connect() as connection:
            if inspect(connection).has_table(MerchantTerminal.__tablename__):
                with Session(bind=connection) as session:
                    terminals = list(session.scalars(select(MerchantTerminal).order_by(MerchantTerminal.tmn_code)))
    except OperationalError as error:
        log.warning("payments: merchant terminals not checked at start, database unreachable: %s", error)
    problems = configuration_problems(settings, terminals)
    if problems:
        raise TerminalMisconfigured("VNPay settings refused:\n- " + "\n- ".join(problems))


def terminal_config(settings: Settings, terminal: MerchantTerminal) -> VnpayConfig:
    """The VnpayConfig of a usable terminal; TerminalMisconfigured when the rules above forbid it."""
    if terminal.sandbox:
        if not settings.vnpay_sandbox:
            raise TerminalMisconfigured(f"demo terminal {terminal.tmn_code} needs VNPAY_SANDBOX on")
        return sandbox_config(settings, terminal.tmn_code)
    problems = terminal_problems(settings, terminal)
    if problems:
        raise TerminalMisconfigured(" ".join(problems))
    return VnpayConfig(
        tmn_code=terminal.tmn_code,
        hash_secret=settings.vnpay_hash_secrets[terminal.hash_secret_variable],
        payment_url=terminal.payment_url,
        api_url=terminal.api_url,
        return_url=return_url(settings.public_base_url, settings.vnpay_return_url),
    )


def sandbox_config(settings: Settings, tmn_code: str = DEMO_TMN_CODE) -> VnpayConfig:
    return demo_config(settings.public_base_url, tmn_code=tmn_code, configured_return_url=settings.vnpay_return_url)


def _usable(settings: Settings, terminal: MerchantTerminal) -> VnpayConfig | None:
    try:
        return terminal_config(settings, terminal)
    except TerminalMisconfigured as error:
        log.error("payments: terminal %s not used: %s", terminal.tmn_code, error)
        return None


def terminal_of(session: Session, agency_id: int) -> MerchantTerminal | None:
    return session.scalar(select(MerchantTerminal).where(MerchantTerminal.agency_id == agency_id))


def config_for_agency(session: Session, settings: Settings, agency_id: int) -> VnpayConfig | None:
    """The terminal ``agency_id`` is paid through; None when it has none that may be used now.

    With the sandbox on, an agency without a terminal of its own uses the shared demo terminal.
    """
    terminal = terminal_of(session, agency_id)
    if terminal is not None:
        return _usable(settings, terminal)
    return sandbox_config(settings) if settings.vnpay_sandbox else None


def config_for_code(session: Session, settings: Settings, tmn_code: object) -> VnpayConfig | None:
    """The terminal VNPay (or the sandbox) names in a callback, when it is one of ours and usable."""
    if not isinstance(tmn_code, str) or not tmn_code or len(tmn_code) > 16:
        return None
    terminal = session.scalar(select(MerchantTerminal).where(MerchantTerminal.tmn_code == tmn_code))
    if terminal is not None:
        return _usable(settings, terminal)
    if settings.vnpay_sandbox and tmn_code == DEMO_TMN_CODE:
        return sandbox_config(settings)
    return None


def demo_terminal_config(session: Session, settings: Settings, tmn_code: object) -> VnpayConfig | None:
    """What the local sandbox, playing VNPay, knows of a terminal: demo terminals only."""
    config = config_for_code(session, settings, tmn_code)
    return config if config is not None and config.hash_secret == DEMO_HASH_SECRET else None


def register_terminal(
    session: Session, settings: Settings, *, agency: Agency, tmn_code: str, now: datetime, sandbox: bool = False,
    payment_url: str = "", api_url: str = "", hash_secret_variable: str = "",
) -> MerchantTerminal:
    """Create or change ``agency``'s terminal; a real one must be usable under ``settings`` at once."""
    tmn_code = tmn_code.strip().upper() if isinstance(tmn_code, str) else ""
    if not tmn_code or len(tmn_code) > 16 or not tmn_code.isalnum():
        raise InvalidInput.on_field("tmn_code", N_("Mã website (vnp_TmnCode) phải gồm tối đa 16 chữ và số."))
    taken = session.scalar(select(MerchantTerminal).where(
        MerchantTerminal.tmn_code == tmn_code, MerchantTerminal.agency_id != agency.id))
    if taken is not None:
        raise Conflict(N_("Mã website này đã thuộc cơ quan khác."))
    terminal = terminal_of(session, agency.id) or MerchantTerminal(agency_id=agency.id, created_at=now)
    terminal.tmn_code = tmn_code
    terminal.sandbox = sandbox
    terminal.payment_url = "" if sandbox else payment_url.strip()
    terminal.api_url = "" if sandbox else api_url.strip()
    terminal.hash_secret_variable = "" if sandbox else (hash_secret_variable.strip() or secret_variable_for(tmn_code))
    if not sandbox:
        missing = [name for name, value in (("payment_url", terminal.payment_url), ("api_url", terminal.api_url))
                   if not value.startswith("https://")]
        if missing:
            raise InvalidInput.on_field(missing[0], N_("Địa chỉ cổng VNPay phải bắt đầu bằng https://."))
        problems = terminal_problems(settings, terminal)
        if problems:
            raise TerminalMisconfigured(" ".join(problems))
    session.add(terminal)
    session.flush()
    return terminal
