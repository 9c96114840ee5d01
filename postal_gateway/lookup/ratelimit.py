"""Rate limits of the public lookup, counted in the app's one shared limiter storage.

The counts live where ``RATELIMIT_STORAGE_URI`` says (``web.throttling``): with Redis in production,
one count per client across every gunicorn worker and every machine, so adding workers never multiplies
what an enumerating client may try. The client is the address the trusted proxy chain reports
(``TRUSTED_PROXY_COUNT``, werkzeug's ProxyFix), never a raw X-Forwarded-For header.
"""
from __future__ import annotations

import time

from limits import RateLimitItem, parse

from postal_gateway.core.domain import N_, TooManyAttempts
from postal_gateway.web.throttling import limiter


class LookupLimit:
    """One limit per client over a moving window, e.g. "30 per minute"."""

    def __init__(self, name: str, rule: str) -> None:
        self.name = name
        self.item: RateLimitItem = parse(rule)

    @property
    def capacity(self) -> int:
        return self.item.amount

    def take(self, client: str) -> None:
        """Count one lookup of ``client``, or raise TooManyAttempts with the wait in seconds."""
        strategy = limiter.limiter
        if strategy.hit(self.item, "lookup", self.name, client):
            return
        reset_at, _remaining = strategy.get_window_stats(self.item, "lookup", self.name, client)
        wait = max(1, int(reset_at - time.time() + 0.999))
        raise TooManyAttempts(
            N_("Bạn tra cứu quá nhiều lần. Vui lòng thử lại sau %(seconds)s giây."),
            params={"seconds": wait},
            retry_after_seconds=wait,
        )


#: lookups by code or shipment number
by_code = LookupLimit("code", "30 per minute")
#: lookups by ID number: guessing numbers is the risk (Nghị định 13/2023/NĐ-CP)
by_id_number = LookupLimit("id_number", "10 per 10 minutes")
#: one-time codes asked to prove one is the holder of an ID number
by_proof = LookupLimit("proof", "5 per hour")


def reset_all() -> None:
    """Forget every count (the tests start each case afresh)."""
    limiter.reset()
