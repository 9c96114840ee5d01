"""A small per-client token bucket for the public lookup (flask-limiter is not installed).

In memory, per process: with N web workers a client gets at most N times the rate, which is
enough to stop enumeration of codes or ID numbers; a shared store would be Redis or the database.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

from postal_gateway.core.domain import N_, TooManyAttempts


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucket:
    def __init__(self, *, capacity: int, per_second: float, clock: Callable[[], float] = time.monotonic,
                 max_clients: int = 100_000) -> None:
        self.capacity = capacity
        self.per_second = per_second
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> None:
        """Spend one token of ``client``, or raise TooManyAttempts with the wait in seconds."""
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(client)
            if bucket is None:
                if len(self._buckets) >= self.max_clients:
                    self._buckets.clear()  # crude, bounded memory
                bucket = self._buckets[client] = _Bucket(float(self.capacity), now)
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.per_second)
            bucket.updated = now
            if bucket.tokens < 1:
                wait = max(1, int((1 - bucket.tokens) / self.per_second + 0.999))
                raise TooManyAttempts(
                    N_("Bạn tra cứu quá nhiều lần. Vui lòng thử lại sau %(seconds)s giây."),
                    params={"seconds": wait},
                    retry_after_seconds=wait,
                )
            bucket.tokens -= 1

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()


#: lookups by code: a burst of 30, then one a second
by_code = TokenBucket(capacity=30, per_second=1.0)
#: lookups by ID number: a burst of 10, then one every 20 seconds (guessing numbers is the risk)
by_id_number = TokenBucket(capacity=10, per_second=0.05)


def reset_all() -> None:
    by_code.reset()
    by_id_number.reset()
