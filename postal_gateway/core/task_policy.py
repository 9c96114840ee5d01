"""How tasks run: the named queues, the routes to them, the time limits and the retry backoff.

Kept apart from the Celery app (``postal_gateway.core.worker``) so that the code that enqueues or reports on
tasks reads the policy without importing the app and its wiring."""
from __future__ import annotations

import random

#: the named queues; a worker started without -Q consumes them all
QUEUES = ("default", "notifications", "integration", "reports")

#: task-name prefix -> queue; anything else goes to "default"
ROUTES = {
    "notifications.*": {"queue": "notifications"},
    "integration.*": {"queue": "integration"},
    "statistics.*": {"queue": "reports"},
    "reports.*": {"queue": "reports"},
}

#: seconds: a task past the soft limit gets SoftTimeLimitExceeded, past the hard one it is killed
SOFT_TIME_LIMIT = 240
TIME_LIMIT = 300


def backoff_seconds(attempt: int, *, base: float = 2.0, cap: float = 600.0, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**attempt)], at least 1 s.

    Jitter spreads the retries of many tasks that failed together (e.g. an SMS gateway outage)."""
    ceiling = min(cap, base * (2 ** max(attempt, 0)))
    return max(1.0, (rng or random).uniform(0, ceiling))
