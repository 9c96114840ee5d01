"""How the relay and the consumers wait for a lost broker or database to come back.

One policy, expressed with tenacity: the failed step is tried again after 0.5 s, 1 s, 2 s, 4 s, 8 s,
then every 15 s for as long as the outage lasts; a step that succeeds ends the outage, so the next
one starts again at 0.5 s. Setting the process's stop event (SIGTERM, SIGINT, a test) ends a wait at
once and raises ``Stopped`` instead of trying again.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_when_event_set, wait_exponential

#: the wait after the first failure of an outage; it doubles after each further failure
FIRST_WAIT_SECONDS = 0.5
#: the longest wait: a broker back after a long outage is found within this delay
MAX_WAIT_SECONDS = 15.0


class Stopped(Exception):
    """The stop event was set while the broker or the database was away."""


def _raise_stopped(retry_state: RetryCallState) -> None:
    raise Stopped from retry_state.outcome.exception()


def reconnect_policy(
    stop: threading.Event,
    *,
    retry_on: tuple[type[BaseException], ...],
    log_wait: Callable[[RetryCallState], None],
) -> Retrying:
    """A ``Retrying`` that calls a step again while it raises one of ``retry_on``, waiting with
    exponential backoff (``FIRST_WAIT_SECONDS`` doubled, capped at ``MAX_WAIT_SECONDS``).

    ``log_wait`` is told before each wait (``retry_state.outcome.exception()`` is the failure,
    ``retry_state.upcoming_sleep`` the delay). Any other exception propagates at once. When ``stop``
    is set, after a failure or during a wait, the call raises ``Stopped`` without another try."""

    def wait_unless_stopped(seconds: float) -> None:
        if stop.wait(seconds):
            raise Stopped

    return Retrying(
        retry=retry_if_exception_type(retry_on),
        wait=wait_exponential(multiplier=FIRST_WAIT_SECONDS, max=MAX_WAIT_SECONDS),
        stop=stop_when_event_set(stop),
        retry_error_callback=_raise_stopped,
        sleep=wait_unless_stopped,
        before_sleep=log_wait,
    )
