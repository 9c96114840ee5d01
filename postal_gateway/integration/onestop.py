"""Connector port for the provincial one-stop system (Hệ thống thông tin một cửa điện tử).

The consumer "onestop" hands each relevant event to a ``OneStopConnector``; the HTTP adapter POSTs it
with the event id as ``Idempotency-Key``. An unreachable or overloaded system is a TransientError
(retried for as long as it lasts); a refusal of the message itself is an error (dead-lettered after
the consumer's attempts). Without ONESTOP_URL the development connector only logs what it would send.
"""
from __future__ import annotations

import json
import logging
import socket
import urllib.error
import urllib.request
from typing import Protocol

from sqlalchemy.orm import Session

from postal_gateway.core.config import Settings
from postal_gateway.core.transient import TransientError
from postal_gateway.integration.topology import CONSUMER_BINDINGS

log = logging.getLogger(__name__)

#: what the one-stop system wants to hear about (its queue's bindings, integration.topology)
ROUTING_KEYS = CONSUMER_BINDINGS["onestop"]


class OneStopRefused(Exception):
    """The one-stop system refused the message (4xx other than 409/429): retrying will not help."""


class OneStopConnector(Protocol):
    def push(self, event: dict) -> None:
        """Hand one event over, or raise TransientError / OneStopRefused."""


class LoggingOneStop:
    """Development connector: remembers and logs what would be sent."""

    def __init__(self) -> None:
        self.pushed: list[dict] = []

    def push(self, event: dict) -> None:
        self.pushed.append(event)
        del self.pushed[:-1000]
        log.info("onestop (development): %s %s", event["event_type"], event.get("aggregate_id", ""))


class HttpOneStop:
    def __init__(self, url: str, *, token: str = "", timeout: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("the one-stop address must be http(s)")
        self.url, self.token, self.timeout = url, token, timeout

    def push(self, event: dict) -> None:
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": event["event_id"]}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(
            self.url, data=json.dumps(event, ensure_ascii=False).encode(), method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - http(s) checked
                response.read(65536)
        except urllib.error.HTTPError as error:
            if error.code == 409:  # it already has this event
                return
            if error.code in (408, 425, 429) or error.code >= 500:
                raise TransientError(f"one-stop system answered HTTP {error.code}") from None
            raise OneStopRefused(f"one-stop system refused the event: HTTP {error.code}") from None
        except (urllib.error.URLError, TimeoutError, socket.timeout, OSError) as error:
            raise TransientError(f"one-stop system unreachable: {error.__class__.__name__}") from None


def connector_for(settings: Settings) -> OneStopConnector:
    """The HTTP connector when ONESTOP_URL is set, else the development one that only logs."""
    if settings.onestop_url:
        return HttpOneStop(settings.onestop_url, token=settings.onestop_token, timeout=settings.onestop_timeout)
    return LoggingOneStop()


def handler(connector: OneStopConnector):
    def push(_session: Session, event: dict) -> None:
        if event["event_type"] in ROUTING_KEYS:
            connector.push(event)

    return push
