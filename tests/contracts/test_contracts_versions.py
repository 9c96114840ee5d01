"""Contract versions: selection by receipt time, overlap refusal, national limits, amendments."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from contracts import services
from contracts.demo import demo_draft
from contracts.limits import national_limits, set_national_limit
from contracts.models import Contract, ContractVersion, DossierContract, Leg, Zone
from contracts.parsing import start_of_local_day
from contracts.versions.services import amend_contract, create_contract
from postal_gateway.core.domain import InvalidInput, NotFound
from tests import factories

JAN_2026 = start_of_local_day(date(2026, 1, 1))
NOW = datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc)


@pytest.fixture()
def world(session):
    agency = factories.agency(session, province_code="70", district_code="689")
    procedure = factories.procedure(session, agency)
    return agency, procedure


def field_names(error: InvalidInput) -> set[str]:
    return {item.field for item in error.field_errors}


def test_version_in_force_and_covered_procedures(session, world):
    agency, procedure = world
    excluded = factories.procedure(session, agency, postal_eligible=False)
    factories.contract(session, agency)
    version = services.contract_in_force(session, agency_id=agency.id, procedure_id=procedure.id, at=NOW)
    assert version is not None and version.number == 1
    # before the contract starts, and for a procedure the post may not handle: nothing
    assert services.contract_in_force(
        session, agency_id=agency.id, procedure_id=procedure.id, at=JAN_2026 - timedelta(seconds=1)
    ) is None
    assert services.contract_in_force(session, agency_id=agency.id, procedure_id=excluded.id, at=NOW) is None


def test_listed_procedures_only(session, world):
    agency, procedure = world
    other = factories.procedure(session, agency)
    factories.contract(session, agency, covers_all_eligible=False, procedure_codes=[procedure.code.lower()])
    assert services.contract_in_force(session, agency_id=agency.id, procedure_id=procedure.id, at=NOW)
    assert services.contract_in_force(session, agency_id=agency.id, procedure_id=other.id, at=NOW) is None


def test_full_trip_time_and_return_commitment(session, world):
    agency, procedure = world
    factories.contract(session, agency, return_commitment_hours=12)
    assert services.full_trip_time(
        session, agency_id=agency.id, procedure_id=procedure.id, leg="forward", zone="same_province", at=NOW
    ) == timedelta(hours=48)
    assert services.full_trip_time(
        session, agency_id=agency.id, procedure_id=procedure.id, leg="return", zone="other_province", at=NOW
    ) == timedelta(hours=96)
    assert services.return_commitment(session, agency_id=agency.id, procedure_id=procedure.id, at=NOW) == timedelta(hours=12)
    with pytest.raises(NotFound):
        services.full_trip_time(
            session, agency_id=agency.id, procedure_id=procedure.id, leg="forward", zone="same_commune",
            at=JAN_2026 - timedelta(days=1),
        )
    # without a contract the post still owes the 24 hours of Điều 25.2
    assert services.return_commitment(
        session, agency_id=agency.id, procedure_id=procedure.id, at=JAN_2026 - timedelta(days=1)
    ) == timedelta(hours=24)


def test_return_commitment_cannot_be_lengthened(session, world):
    agency, _ = world
    with pytest.raises(InvalidInput) as caught:
        factories.contract(session, agency, return_commitment_hours=36)
    assert "return_commitment_hours" in field_names(caught.value)
    assert session.scalar(select(func.count()).select_from(Contract)) == 0


def test_overlapping_versions_refused(session, world):
    agency, _ = world
    factories.contract(session, agency)  # 2026-01-01 .. 2029-01-01
    with pytest.raises(InvalidInput) as caught:
        factories.contract(session, agency, valid_from_day=date(2028, 6, 1))
    assert "valid_from" in field_names(caught.value)
    assert session.scalar(select(func.count()).select_from(ContractVersion)) == 1
    # right after the first ends is fine
    factories.contract(session, agency, valid_from_day=date(2029, 1, 1))
    assert session.scalar(select(func.count()).select_from(ContractVersion)) == 2


def test_national_limit_names_leg_and_zone(session, world):
    agency, _ = world
    hours = {(leg, zone): 24 for leg in ("forward", "return") for zone in ("same_commune", "same_province", "other_province")}
    hours[("return", "other_province")] = 121  # provisional ceiling is 120
    with pytest.raises(InvalidInput) as caught:
        factories.contract(session, agency, trip_hours=hours)
    assert field_names(caught.value) == {"trip_times.return.other_province"}
    message = caught.value.field_errors[0]
    assert message.params["leg"] == "return" and message.params["zone"] == "other_province"
    assert message.params["max_hours"] == 120
    assert session.scalar(select(func.count()).select_from(Contract)) == 0


def test_operator_edits_the_national_limit(session, world):
    agency, _ = world
    set_national_limit(session, leg="forward", zone="same_commune", max_hours=12,
                       legal_source="Thông tư 14/2018/TT-BTTTT", now=NOW)
    limit = national_limits(session)[(Leg.forward, Zone.same_commune)]
    assert limit.max_hours == 12 and not limit.provisional
    with pytest.raises(InvalidInput) as caught:
        factories.contract(session, agency)  # demo agrees 24 h in the same district
    assert field_names(caught.value) == {"trip_times.forward.same_commune"}
    with pytest.raises(InvalidInput) as caught:
        set_national_limit(session, leg="sideways", zone="moon", max_hours=-1, legal_source="", now=NOW)
    assert field_names(caught.value) == {"leg", "zone", "max_hours", "legal_source"}


def test_every_bad_field_named_at_once(session, world):
    agency, _ = world
    with pytest.raises(InvalidInput) as caught:
        create_contract(
            session, agency_code=agency.code, number="", post_name="",
            draft=demo_draft(
                home_pickup_vnd=-1, home_delivery_vnd="12.5", collection_methods=["barter"],
                covers_all_eligible=False, procedure_codes=["T-NOPE-1"], service_point_codes=["999999"],
                postage_bands=[("same_commune", 100, 1000)],
            ),
            now=NOW,
        )
    assert {"number", "post_name", "home_pickup_vnd", "home_delivery_vnd", "collection_methods",
            "procedures", "service_points", "postage_bands"} <= field_names(caught.value)
    assert session.scalar(select(func.count()).select_from(Contract)) == 0


def test_amendment_is_a_new_version_and_dossiers_keep_theirs(session, world):
    agency, procedure = world
    contract = factories.contract(session, agency)
    first = contract.versions[0]
    citizen = factories.user(session)
    dossier = _dossier(session, agency, procedure, citizen, received_at=NOW)
    recorded = services.attach_contract(session, dossier)
    assert recorded.version_id == first.id and recorded.forward_zone is Zone.same_commune

    from contracts.versions.services import draft_from_version

    effective = NOW + timedelta(days=10)
    hours = {(leg, zone): 12 for leg in ("forward", "return") for zone in ("same_commune", "same_province", "other_province")}
    second = amend_contract(
        session, contract_id=contract.id, draft=draft_from_version(first, valid_from=effective, valid_until=None, trip_hours=hours),
        now=NOW,
    )
    assert second.number == 2 and second.valid_until == start_of_local_day(date(2029, 1, 1))
    assert first.valid_until == effective
    # selection by receipt time
    before = services.contract_in_force(session, agency_id=agency.id, procedure_id=procedure.id, at=effective - timedelta(seconds=1))
    after = services.contract_in_force(session, agency_id=agency.id, procedure_id=procedure.id, at=effective)
    assert (before.id, after.id) == (first.id, second.id)
    # the dossier received before keeps version 1 and its 24 hours
    assert services.dossier_full_trip_time(session, dossier_id=dossier.id, leg="forward") == timedelta(hours=24)
    assert services.full_trip_time(session, agency_id=agency.id, procedure_id=procedure.id, leg="forward",
                                   zone="same_commune", at=effective) == timedelta(hours=12)


def test_amendment_cannot_take_effect_in_the_past(session, world):
    agency, _ = world
    contract = factories.contract(session, agency)
    from contracts.versions.services import draft_from_version

    with pytest.raises(InvalidInput) as caught:
        amend_contract(session, contract_id=contract.id,
                       draft=draft_from_version(contract.versions[0], valid_from=NOW - timedelta(days=1)), now=NOW)
    assert field_names(caught.value) == {"valid_from"}
    assert len(contract.versions) == 1 and contract.versions[0].valid_until == start_of_local_day(date(2029, 1, 1))


def test_attach_contract_places_the_delivery_address(session, world):
    agency, procedure = world
    factories.contract(session, agency)
    citizen = factories.user(session)
    dossier = _dossier(session, agency, procedure, citizen, received_at=NOW,
                       delivery_address="12 Lê Lợi, Quận 1, TP HCM")
    recorded = services.attach_contract(session, dossier)
    assert recorded.return_zone is Zone.other_province
    assert services.attach_contract(session, dossier) is recorded  # idempotent
    assert session.scalar(select(func.count()).select_from(DossierContract)) == 1


def _dossier(session, agency, procedure, citizen, *, received_at, **fields):
    return factories.dossier(session, agency, procedure, citizen, received_at=received_at, **fields)
