"""The dossier state machine (R-11): every transition of the table, illegal ones refused with a clear
reason, each step recorded and announced, and two officers on one dossier ending with one winner."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from postal_gateway.accounts.models import Role
from postal_gateway.core.db import SessionFactory
from postal_gateway.core.domain import Conflict
from postal_gateway.core.outbox import IntegrationEvent
from postal_gateway.dossiers import workflow
from postal_gateway.dossiers.models import Dossier, DossierStatus, DossierStatusChange
from postal_gateway.dossiers.workflow import TRANSITIONS, Action, IllegalTransition, StaleDossier
from tests import factories

S = DossierStatus
NOW = datetime(2026, 12, 8, 3, 0, tzinfo=timezone.utc)


def test_the_table_is_the_whole_flow():
    # The main line of R-11, step by step: the post submits (Điều 21.1), the one-stop office accepts (12.1.d).
    line = [(None, Action.submit), (S.submitted, Action.accept), (S.received, Action.transfer), (S.transferred, Action.start_processing),
            (S.in_processing, Action.start_verification), (S.verification, Action.finish_verification),
            (S.in_processing, Action.mark_result_ready), (S.result_ready, Action.return_result)]
    assert [TRANSITIONS[step] for step in line] == [
        S.submitted, S.received, S.transferred, S.in_processing, S.verification, S.in_processing, S.result_ready, S.returned]
    # Side branches and where they may start.
    working = {S.received, S.transferred, S.in_processing, S.verification, S.overdue}
    assert {s for (s, a) in TRANSITIONS if a == Action.request_supplement} == working
    assert {s for (s, a) in TRANSITIONS if a == Action.reject} == working | {S.supplement_requested}
    assert {s for (s, a) in TRANSITIONS if a == Action.withdraw} == working | {
        S.supplement_requested, S.submitted, S.completion_requested}
    # Before acceptance no due time runs: acceptance, withdrawal, a completion request (form 02, Điều 12.1.c)
    # or a refusal (form 03, Điều 9.1.b) only (Điều 12.1.đ: no transfer).
    assert workflow.allowed_actions(S.submitted) == [
        Action.accept, Action.withdraw, Action.request_completion, Action.refuse]
    assert workflow.allowed_actions(S.completion_requested) == [Action.withdraw, Action.resubmit]
    assert {s for (s, a) in TRANSITIONS if a == Action.apologise} == working
    assert TRANSITIONS[(S.supplement_requested, Action.receive_supplement)] == S.in_processing
    # Final states lead nowhere.
    for final in (S.returned, S.rejected, S.withdrawn, S.refused):
        assert workflow.allowed_actions(final) == []


@pytest.mark.parametrize("state", [None, *DossierStatus])
def test_every_pair_outside_the_table_is_refused_with_the_reason(state):
    for action in Action:
        if (state, action) in TRANSITIONS:
            continue
        with pytest.raises(IllegalTransition) as refused:
            workflow.next_status(state, action)
        assert workflow.ACTION_LABELS[action] in str(refused.value)
        assert isinstance(refused.value, Conflict)


def _world(session, status: DossierStatus):
    officer = factories.user(session, Role.agency_staff)
    procedure = factories.procedure(session, officer.agency)
    dossier = factories.postal_dossier(session, procedure=procedure, status=status, entered_at=NOW - timedelta(days=2))
    return officer, dossier


@pytest.mark.parametrize(("source", "action"), [key for key in TRANSITIONS if key[0] is not None],
                         ids=lambda value: getattr(value, "value", str(value)))
def test_every_transition_records_who_when_why_and_emits_the_event(session, source, action):
    officer, dossier = _world(session, source)
    version = dossier.version
    step = workflow.transition(session, dossier, action, actor=officer, at=NOW, reason="lý do thử",
                               details={"reasons": ["thiếu bản sao"]}, expected_version=version)
    session.commit()
    target = TRANSITIONS[(source, action)]
    assert dossier.status == target and dossier.version == version + 1
    stored = session.scalars(select(DossierStatusChange).where(DossierStatusChange.dossier_id == dossier.id)).all()
    assert [(s.from_status, s.to_status, s.actor_id, s.reason, s.action, s.at) for s in stored] == [
        (source, target, officer.id, "lý do thử", action.value, NOW)]
    assert step.details == {"reasons": ["thiếu bản sao"]}
    event = session.scalars(select(IntegrationEvent).where(IntegrationEvent.aggregate_id == dossier.code)).one()
    assert event.event_type == "dossier.status_changed"
    assert event.payload["from_status"] == source.value and event.payload["to_status"] == target.value
    assert event.payload["reasons"] == ["thiếu bản sao"]
    assert dossier.settled_at == (NOW if target == S.result_ready else None)
    assert dossier.given_back_at == (NOW if target in (S.rejected, S.withdrawn) else None)


def test_first_step_is_submitted_with_its_event_and_cannot_repeat__dieu_21_1(session):
    """Điều 21.1: the post submits the dossier online; its first step is "submitted", not a receipt."""
    officer, dossier = _world(session, S.received)
    step = workflow.record_submission(session, dossier, actor=officer, at=NOW)
    assert step.from_status is None and step.to_status == S.submitted and step.action == "submit"
    event = session.scalars(select(IntegrationEvent)).one()
    assert event.event_type == "dossier.submitted" and event.aggregate_id == dossier.shipment_number
    with pytest.raises(IllegalTransition):
        workflow.record_submission(session, dossier, actor=officer, at=NOW)


def test_skipped_and_repeated_steps_change_nothing(session):
    officer, dossier = _world(session, S.received)
    session.commit()
    with pytest.raises(IllegalTransition) as skipped:
        workflow.transition(session, dossier, Action.mark_result_ready, actor=officer, at=NOW)
    assert "Đã tiếp nhận" in str(skipped.value) and "chuyển phòng chuyên môn" in str(skipped.value)
    workflow.transition(session, dossier, Action.transfer, actor=officer, at=NOW)
    with pytest.raises(IllegalTransition):
        workflow.transition(session, dossier, Action.transfer, actor=officer, at=NOW)
    session.commit()
    assert dossier.status == S.transferred and len(dossier.history) == 1


def test_a_stale_view_is_refused(session):
    officer, dossier = _world(session, S.received)
    session.commit()
    with pytest.raises(StaleDossier):
        workflow.transition(session, dossier, Action.transfer, actor=officer, at=NOW, expected_version=dossier.version - 1)
    assert dossier.status == S.received


@pytest.mark.commits  # two sessions, two connections
def test_two_officers_acting_at_once_one_wins_the_other_gets_a_conflict(app, session):
    officer, dossier = _world(session, S.in_processing)
    other = factories.user(session, Role.agency_staff, agency=officer.agency)
    session.commit()
    first, second = SessionFactory(), SessionFactory()
    try:
        mine = first.get(Dossier, dossier.id)
        theirs = second.get(Dossier, dossier.id)
        assert mine.version == theirs.version
        workflow.transition(first, mine, Action.mark_result_ready, actor=first.merge(officer), at=NOW)
        first.commit()
        with pytest.raises(StaleDossier) as lost:
            workflow.transition(second, theirs, Action.reject, actor=second.merge(other), at=NOW,
                                details={"reasons": ["x"]})
        assert "người khác" in str(lost.value)
        second.rollback()
    finally:
        first.close()
        second.close()
    session.expire_all()
    stored = session.get(Dossier, dossier.id)
    assert stored.status == S.result_ready and stored.given_back_at is None
    assert [h.to_status for h in stored.history] == [S.result_ready]
    assert session.scalars(select(IntegrationEvent.payload)).all()[0]["to_status"] == "result_ready"
    assert len(session.scalars(select(IntegrationEvent)).all()) == 1


def test_a_refused_step_names_the_actions_in_the_readers_language(app):
    from flask_babel import force_locale

    from postal_gateway.dossiers.models import DossierStatus
    from postal_gateway.dossiers.workflow import Action, IllegalTransition
    from postal_gateway.web.errors import translate

    refused = IllegalTransition(DossierStatus.returned, Action.transfer)
    with app.test_request_context():
        vietnamese = translate(refused.message, refused.params)
        with force_locale("en"):
            english = translate(refused.message, refused.params)
    assert "chuyển phòng chuyên môn" in vietnamese and "không còn thao tác nào" in vietnamese
    assert "chuyển" not in english and "không" not in english, english
