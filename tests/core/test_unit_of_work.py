"""The one transaction boundary and the typed domain events dispatched around its commit."""
from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from postal_gateway.bootstrap import subscribe_reactions
from postal_gateway.catalogue.models import Agency
from postal_gateway.core import domain_events
from postal_gateway.core.unit_of_work import transactional, unit_of_work
from tests import factories


@dataclass(frozen=True)
class AgencyRenamed(domain_events.DomainEvent):
    agency_id: int
    name: str


@pytest.fixture()
def subscriptions():
    yield
    domain_events.unsubscribe_all()
    subscribe_reactions()  # the process's own reactions, for the tests that run after


def _name_of(session, agency_id: int) -> str:
    session.expire_all()
    return session.scalar(select(Agency.name).where(Agency.id == agency_id))


def test_commits_on_success(session):
    agency = factories.agency(session, name="Sở cũ")
    with unit_of_work(session):
        agency.name = "Sở mới"
    session.rollback()  # nothing left to roll back: the unit of work committed
    assert _name_of(session, agency.id) == "Sở mới"


def test_rolls_back_on_error_and_lets_it_through(session):
    agency = factories.agency(session, name="Sở cũ")
    with unit_of_work(session):
        pass
    with pytest.raises(RuntimeError), unit_of_work(session):
        agency.name = "Sở mới"
        raise RuntimeError("boom")
    assert _name_of(session, agency.id) == "Sở cũ"


def test_transactional_wraps_a_function_in_one_unit_of_work(session):
    agency = factories.agency(session, name="Sở cũ")
    with unit_of_work(session):
        pass

    @transactional
    def rename_then_fail():
        agency.name = "Sở mới"
        raise ValueError("refused")

    with pytest.raises(ValueError):
        rename_then_fail()
    assert _name_of(session, agency.id) == "Sở cũ"


def test_within_transaction_handler_commits_or_fails_with_its_cause(session, subscriptions):
    agency = factories.agency(session, name="Sở cũ")
    other = factories.agency(session, name="Sở khác")
    with unit_of_work(session):
        pass

    def rename_the_other_too(reaction_session, event):
        reaction_session.get(Agency, other.id).name = event.name
        if event.name == "hỏng":
            raise RuntimeError("the reaction failed")

    domain_events.subscribe(AgencyRenamed, rename_the_other_too, within_transaction=True)
    with unit_of_work(session):
        agency.name = "Sở mới"
        domain_events.record(session, AgencyRenamed(agency.id, "Sở mới"))
    assert _name_of(session, other.id) == "Sở mới"

    with pytest.raises(RuntimeError), unit_of_work(session):
        agency.name = "hỏng"
        domain_events.record(session, AgencyRenamed(agency.id, "hỏng"))
    assert (_name_of(session, agency.id), _name_of(session, other.id)) == ("Sở mới", "Sở mới")


def test_after_commit_handler_runs_once_after_the_commit_and_its_failure_is_only_logged(
    session, subscriptions, caplog
):
    agency = factories.agency(session, name="Sở cũ")
    seen = []

    def remember(_session, event):
        seen.append((event.name, _name_of(_session, agency.id)))

    def fail(_session, _event):
        raise RuntimeError("the reaction failed")

    domain_events.subscribe(AgencyRenamed, remember)
    domain_events.subscribe(AgencyRenamed, remember)  # a second subscription of the same handler is one
    domain_events.subscribe(AgencyRenamed, fail)
    with caplog.at_level(logging.ERROR), unit_of_work(session):
        agency.name = "Sở mới"
        domain_events.record(session, AgencyRenamed(agency.id, "Sở mới"))
        assert seen == []
    assert seen == [("Sở mới", "Sở mới")]
    assert "the reaction failed" in caplog.text
    assert _name_of(session, agency.id) == "Sở mới"


def test_a_rolled_back_transaction_dispatches_nothing(session, subscriptions):
    seen = []
    domain_events.subscribe(AgencyRenamed, lambda _session, event: seen.append(event))
    with pytest.raises(RuntimeError), unit_of_work(session):
        domain_events.record(session, AgencyRenamed(1, "x"))
        raise RuntimeError("refused")
    with unit_of_work(session):
        pass
    assert seen == []
