"""Reaching the test RabbitMQ: a broker still starting (after the relay test restarts it) is waited for a
little; a broker that stays unreachable fails the test loudly, never skips it."""
from __future__ import annotations

import time

import pika
import pytest

#: seconds a starting broker is given before the test fails
STARTUP_GRACE_SECONDS = 30


def connect_or_fail(url: str) -> pika.BlockingConnection:
    deadline = time.monotonic() + STARTUP_GRACE_SECONDS
    while True:
        try:
            return pika.BlockingConnection(pika.URLParameters(url))
        except pika.exceptions.AMQPError as error:
            if time.monotonic() >= deadline:
                pytest.fail(f"RabbitMQ is not reachable at {url.split('@')[-1]}: {error!r}")
            time.sleep(0.5)
