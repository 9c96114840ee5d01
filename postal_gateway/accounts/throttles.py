"""How many guesses the accounts area allows, per account and per client.

Failed log-ins count on the page and on ``POST /api/v1/token`` together (one shared count), so an
attacker cannot double the budget by switching door. Only failures count: a post office whose
staff all log in each morning from one address is never slowed down. An account's count is kept
under a keyed hash of the identifier typed, known account or not, so the limits behave the same
for accounts that do not exist.
"""
from __future__ import annotations

from typing import Callable

from flask import Response, request
from flask import session as web_session

from postal_gateway.accounts.identity import normalise_identifier
from postal_gateway.web.throttling import limiter, private_key

#: wrong passwords for one account, from anywhere, before it must wait
FAILED_LOGINS_PER_ACCOUNT = "10 per 15 minutes"
#: wrong passwords from one client, whatever the accounts (password spraying)
FAILED_LOGINS_PER_CLIENT = "30 per 15 minutes"
#: password-reset codes asked for one account (the code store also allows 5 an hour, silently)
RESET_REQUESTS_PER_ACCOUNT = "5 per hour"
#: password-reset codes or activation codes asked from one client
CODE_REQUESTS_PER_CLIENT = "20 per hour"
#: wrong one-time codes (activation, password reset) from one client
FAILED_CODES_PER_CLIENT = "20 per 15 minutes"
#: wrong reset codes for one account, from anywhere: each code dies after 5, this caps new ones too
FAILED_RESET_CODES_PER_ACCOUNT = "10 per 15 minutes"


def _identifier_in_request() -> str:
    if request.is_json:
        body = request.get_json(silent=True)
        value = body.get("identifier") if isinstance(body, dict) else None
    else:
        value = request.form.get("identifier")
    return value if isinstance(value, str) else ""


def account_in_request() -> str:
    """The account named in the form or JSON body; empty (limit skipped) when none is named."""
    identifier = normalise_identifier(_identifier_in_request())
    return private_key("account", identifier) if identifier else ""


def account_in_request_or_session(session_key: str) -> Callable[[], str]:
    """Like ``account_in_request``, falling back on the identifier the page keeps in the session
    under ``session_key``, exactly as the view does, so leaving the field out skips no limit."""

    def key() -> str:
        identifier = normalise_identifier(_identifier_in_request() or str(web_session.get(session_key, "")))
        return private_key("account", identifier) if identifier else ""

    return key


def _refused_login(response: Response) -> bool:
    return response.status_code == 401


def _refused_code(response: Response) -> bool:
    return response.status_code in (422, 429)


login_per_account = limiter.shared_limit(
    FAILED_LOGINS_PER_ACCOUNT, scope="login-account", key_func=account_in_request,
    methods=["POST"], deduct_when=_refused_login,
)
login_per_client = limiter.shared_limit(
    FAILED_LOGINS_PER_CLIENT, scope="login-client", methods=["POST"], deduct_when=_refused_login,
)
reset_request_per_account = limiter.limit(
    RESET_REQUESTS_PER_ACCOUNT, key_func=account_in_request, methods=["POST"],
)
code_request_per_client = limiter.shared_limit(CODE_REQUESTS_PER_CLIENT, scope="code-request-client", methods=["POST"])
code_guess_per_client = limiter.shared_limit(
    FAILED_CODES_PER_CLIENT, scope="code-guess-client", methods=["POST"], deduct_when=_refused_code,
)


def reset_guess_per_account(session_key: str):
    return limiter.limit(
        FAILED_RESET_CODES_PER_ACCOUNT, key_func=account_in_request_or_session(session_key),
        methods=["POST"], deduct_when=_refused_code,
    )
