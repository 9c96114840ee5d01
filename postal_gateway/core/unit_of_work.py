"""The one transaction boundary: every controller, task and command changes data inside a unit of work.

    with unit_of_work() as session:
        outcome = services.submit(session, command)

On leaving the block the unit of work commits; on any error it rolls back and the error goes on.
Services never commit: they change rows and record domain events (``domain_events.record``). The
handlers subscribed ``within_transaction`` run just before the commit, in the same transaction, so a
reaction that must not be lost (the return leg opened when the result is handed to the post) commits or
fails with its cause; the others run after the commit, each in a unit of work of its own, so a failing
reaction cannot undo what the user did.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

from sqlalchemy.orm import Session

from postal_gateway.core import domain_events
from postal_gateway.core.db import db_session

log = logging.getLogger(__name__)
Params = ParamSpec("Params")
Result = TypeVar("Result")


@contextmanager
def unit_of_work(session: Session | None = None) -> Iterator[Session]:
    """Commit on success, roll back on any error; domain events dispatched around the commit."""
    session = session if session is not None else db_session()
    try:
        yield session
        domain_events.dispatch_within_transaction(session)
        session.commit()
    except BaseException:
        session.rollback()
        domain_events.discard(session)
        raise
    for event in domain_events.take_committed(session):
        for handler in domain_events.after_commit_handlers(event):
            try:
                with unit_of_work(session) as reaction_session:
                    handler(reaction_session, event)
            except Exception:  # the user's change is committed; a failed reaction is logged, not theirs
                log.exception("reaction %s to %s failed", handler.__qualname__, type(event).__name__)


def transactional(function: Callable[Params, Result]) -> Callable[Params, Result]:
    """A controller, task or command that runs in one unit of work on the shared session."""

    @wraps(function)
    def in_unit_of_work(*args: Params.args, **kwargs: Params.kwargs) -> Result:
        with unit_of_work():
            return function(*args, **kwargs)

    return in_unit_of_work
