"""The plumbing's own transactions go through the unit of work: a task's session, the demo loader."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from postal_gateway.accounts.models import User
from postal_gateway.calendar.models import CalendarOverride
from postal_gateway.core.db import SessionFactory
from postal_gateway.core.worker import task_session
from tests import factories


def _users(session) -> int:
    return session.scalar(select(func.count()).select_from(User))


def test_a_task_session_commits_what_its_block_did(app, session):
    before = _users(session)
    with task_session() as task:
        factories.user(task)
    with SessionFactory() as other:
        assert _users(other) == before + 1


def test_a_task_session_rolls_back_on_any_error_and_lets_it_go(app, session):
    before = _users(session)
    with pytest.raises(RuntimeError, match="partner away"):
        with task_session() as task:
            factories.user(task)
            task.flush()
            raise RuntimeError("partner away")
    with SessionFactory() as other:
        assert _users(other) == before


def test_the_demo_loads_once_and_a_second_run_changes_nothing(app, session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["load-demo"])
    assert first.exit_code == 0, first.output
    assert "Demo data loaded" in first.output
    counted = _users(session)
    assert counted > 0
    second = runner.invoke(args=["load-demo"])
    assert second.exit_code == 0, second.output
    assert _users(session) == counted


def test_a_refused_calendar_change_is_told_in_words_and_leaves_nothing(app, session):
    runner = app.test_cli_runner()
    added = runner.invoke(args=["calendar", "add-day-off", "2027-03-10", "Thông báo 1/TB"])
    assert added.exit_code == 0, added.output
    twice = runner.invoke(args=["calendar", "add-day-off", "2027-03-10", "Thông báo 2/TB"])
    assert twice.exit_code != 0 and "Traceback" not in twice.output
    reasons = session.scalars(select(CalendarOverride.reason)).all()
    assert reasons == ["Thông báo 1/TB"]
