"""Rate limits on guessing: one Flask-Limiter for the app, counted in shared storage.

The counts live where ``RATELIMIT_STORAGE_URI`` says: ``memory://`` is right for ``make run``
(one process); production names a Redis server (``redis://host:6379/0``) so every gunicorn worker
and every machine shares one count, otherwise each worker would allow the full budget again.

Areas declare their limits with ``limiter.limit`` / ``limiter.shared_limit`` on their views; the
client is ``request.remote_addr``, which is the peer's address, or, behind ``TRUSTED_PROXY_COUNT``
reverse proxies, the address those proxies saw (werkzeug's ProxyFix in ``create_app``). A raw
X-Forwarded-For header is never read here: anyone can write one.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import time

from flask import Flask, current_app, request
from flask_limiter import Limiter, RateLimitExceeded

from postal_gateway.core.config import Settings
from postal_gateway.core.domain import N_
from postal_gateway.web.errors import render_error, translate

TOO_MANY_ATTEMPTS = N_("Bạn đã thử quá nhiều lần. Vui lòng thử lại sau %(minutes)s phút.")


def client_address() -> str:
    """The client as the proxy chain we trust reports it (see the module docstring)."""
    return request.remote_addr or "unknown"


def private_key(kind: str, value: str) -> str:
    """A storage key for a personal value (an e-mail, an ID number) that does not reveal it:
    the counts may sit in a shared Redis, and personal data stays out of it (Nghị định 13/2023)."""
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), value.encode(), hashlib.sha256).hexdigest()
    return f"{kind}:{digest[:32]}"


limiter = Limiter(
    key_func=client_address,
    key_prefix="postal_gateway",
    # A sliding window: no burst of twice the limit across a window's edge.
    strategy="moving-window",
    # If Redis is unreachable, keep throttling per process rather than failing every log-in.
    in_memory_fallback_enabled=True,
)


def seconds_until_retry() -> int:
    """Seconds until the limit that refused this request lets a new attempt through."""
    resets = [limit.reset_at for limit in limiter.current_limits if limit.breached]
    if not resets:
        return 60
    return max(1, int(max(resets) - time.time()))


def too_many_attempts(_error: RateLimitExceeded):
    seconds = seconds_until_retry()
    response = render_error(429, translate(TOO_MANY_ATTEMPTS, {"minutes": max(1, math.ceil(seconds / 60))}))
    response.headers["Retry-After"] = str(seconds)
    return response


def init_app(app: Flask, settings: Settings) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = settings.ratelimit_storage_uri
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, too_many_attempts)
