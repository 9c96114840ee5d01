"""Typed domain events: how one area reacts to what happened in another, inside this process.

A service records an event on the session it works with (``record(session, ResultHandedToPost(...))``);
the unit of work dispatches it to the handlers subscribed to its type, by the bootstrap, never by an
import. Integration events for other systems (the provincial one-stop system, the public lookup store's
consumer) keep going through the transactional outbox (``postal_gateway.core.outbox``).

Two moments, chosen by the subscriber:
- ``within_transaction=True``: just before the commit, in the same transaction, for a reaction that must
  commit or fail with its cause;
- otherwise after the commit, each handler in a unit of work of its own.

Signals are blinker's (Flask's own dependency), one per event class.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from blinker import Namespace
from sqlalchemy.orm import Session

_PENDING = "domain_events.pending"
_COMMITTED = "domain_events.committed"
_signals = Namespace()


@dataclass(frozen=True)
class DomainEvent:
    """Base of every domain event: a frozen record of something that happened, named in the past tense."""


Event = TypeVar("Event", bound=DomainEvent)
Handler = Callable[[Session, Event], None]


def _signal(event_type: type[DomainEvent], moment: str):
    return _signals.signal(f"{event_type.__module__}.{event_type.__qualname__}:{moment}")


def subscribe(event_type: type[Event], handler: Handler, *, within_transaction: bool = False) -> None:
    """Call ``handler(session, event)`` for every ``event_type`` recorded; once per handler."""
    moment = "within" if within_transaction else "after"
    signal = _signal(event_type, moment)
    if handler not in list(signal.receivers_for(None)):
        signal.connect(handler, weak=False)


def unsubscribe_all() -> None:
    """Forget every subscription (a test that wires a process of its own)."""
    for signal in _signals.values():
        signal.receivers.clear()


def _handlers(event: DomainEvent, moment: str) -> list[Handler]:
    return list(_signal(type(event), moment).receivers_for(None))


def after_commit_handlers(event: DomainEvent) -> list[Handler]:
    return _handlers(event, "after")


def record(session: Session, event: DomainEvent) -> None:
    """Note that ``event`` happened in the session's current transaction."""
    session.info.setdefault(_PENDING, []).append(event)


def dispatch_within_transaction(session: Session) -> None:
    """Run the in-transaction handlers of every pending event (and of any event they record), then
    keep the events for after the commit."""
    handled = 0
    while handled < len(pending := session.info.get(_PENDING, [])):
        event = pending[handled]
        for handler in _handlers(event, "within"):
            handler(session, event)
        handled += 1
    session.info.setdefault(_COMMITTED, []).extend(session.info.pop(_PENDING, []))


def take_committed(session: Session) -> Iterator[DomainEvent]:
    """The events of the transaction just committed, each handed out once."""
    while committed := session.info.get(_COMMITTED):
        yield committed.pop(0)


def discard(session: Session) -> None:
    """A rolled-back transaction's events did not happen."""
    session.info.pop(_PENDING, None)
    session.info.pop(_COMMITTED, None)
