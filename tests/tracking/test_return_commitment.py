"""The return leg's two clocks (Điều 25.2, 22.5): the contract's return-leg zone time decides the delivery due
time, the post's commitment to return within 24 hours of the result is a clock of its own; both are shown and
both are scanned, and no message promises "trong 24 giờ" when the contract's zone time is longer."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from contracts.demo import DEMO_TRIP_HOURS
from contracts.importer import CONTRACT_COLUMNS, import_contracts
from contracts.models import Leg
from contracts.services import attach_contract
from contracts.versions.services import commitment_warnings
from postal_gateway import calendar
from postal_gateway.accounts.models import Role
from postal_gateway.core.formatting import VIETNAM, format_local_datetime
from postal_gateway.core.outbox import IntegrationEvent
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.notifications.models import OutboxMessage
from postal_gateway.workbench import services as workbench
from tests import factories
from tests.conftest import log_in
from tracking import ingestion, reports, services, sla
from tracking.models import ShipmentLeg, SlaBreach
from tracking.sla import SlaState, clock_state

#: Monday 7 December 2026, 07:00 in Vietnam; the result is ready on the Wednesday at 09:00
MONDAY = datetime(2026, 12, 7, 7, 0, tzinfo=VIETNAM)
READY = datetime(2026, 12, 9, 9, 0, tzinfo=VIETNAM)


def _world(session, *, return_hours: int | None, commitment_hours: int = 24) -> dict:
    """A received postal dossier collected in the agency's own district; with ``return_hours``, a contract whose
    return-leg time for that zone (same_commune) is ``return_hours``, recorded at submission."""
    agency = factories.agency(session, province_code="70", district_code="689")
    procedure = factories.procedure(session, agency, processing_half_days=10, level=3, fee_vnd=0)
    office = factories.post_office(session, province_code="70", district_code="689", phone="+84271388001")
    staff = factories.user(session, Role.postal_staff, post_office=office)
    officer = factories.user(session, Role.agency_staff, agency=agency)
    if return_hours is not None:
        hours = {(leg, zone): value for leg in ("forward", "return") for zone, value in DEMO_TRIP_HOURS.items()}
        hours[("return", "same_commune")] = return_hours
        factories.contract(session, agency, trip_hours=hours, return_commitment_hours=commitment_hours)
    received = calendar.receipt_time(MONDAY)
    dossier = factories.postal_dossier(
        session, procedure=procedure, staff=staff, entered_at=MONDAY, received_at=received,
        processing_start_at=calendar.processing_start(received), due_at=calendar.due_at(received, 5),
        appointment_date=calendar.appointment_date(received, 5),
    )
    attach_contract(session, dossier)
    session.commit()
    return {"dossier": dossier, "officer": officer, "office": office, "staff": staff}


def _result_ready(session, world) -> ShipmentLeg:
    """The officer signs for the paper, processes, and reports the result ready at READY (the return leg opens)."""
    officer, code = world["officer"], world["dossier"].code
    workbench.receive_from_post(session, officer=officer, code=code, paper_matches=True, now=MONDAY)
    for minutes, action in ((5, "transfer"), (10, "start_processing")):
        workbench.advance(session, officer=officer, code=code, action=action, now=MONDAY + timedelta(minutes=minutes))
    with unit_of_work(session):  # the return leg opens in the same transaction as the step
        workbench.mark_result_ready(session, officer=officer, code=code, now=READY)
    return services.leg_of(session, world["dossier"], Leg.return_)


def _result_messages(session, dossier) -> list[OutboxMessage]:
    return session.scalars(select(OutboxMessage).where(
        OutboxMessage.template == "result_ready", OutboxMessage.recipient_user_id == dossier.citizen_id)).all()


def test_zone_time_48h_is_the_delivery_due_and_the_24h_commitment_a_clock_of_its_own_dieu_25_2_22_5(session):
    """Điều 22.5 and 25.2: return zone time 48 h, commitment 24 h: due_at = result + 48 h (basis "contract"),
    commitment_due_at = result + 24 h, and the citizen's message names the planned time, never "24 giờ"."""
    world = _world(session, return_hours=48)
    leg = _result_ready(session, world)
    assert (leg.started_at, leg.due_at, leg.due_basis, leg.zone) == (
        READY, READY + timedelta(hours=48), "contract", "same_commune")
    assert leg.commitment_due_at == READY + timedelta(hours=24)
    messages = _result_messages(session, world["dossier"])
    assert {m.channel.value for m in messages} == {"sms", "email"}
    email = next(m for m in messages if m.channel.value == "email")
    assert "24 giờ" not in email.body
    assert f"trước {format_local_datetime(READY + timedelta(hours=48))}" in email.body
    assert "theo thời gian toàn trình của hợp đồng" in email.body
    sms = next(m for m in messages if m.channel.value == "sms")
    assert "24 gio" not in sms.body and "11/12/2026" in sms.body


def test_zone_time_12h_may_promise_24_hours_dieu_25_2(session):
    """Điều 25.2: a return zone time within 24 hours keeps the "trong 24 giờ" promise; the contract's shorter
    commitment (12 h) sets the commitment clock."""
    world = _world(session, return_hours=12, commitment_hours=12)
    leg = _result_ready(session, world)
    assert (leg.due_at, leg.due_basis) == (READY + timedelta(hours=12), "contract")
    assert leg.commitment_due_at == READY + timedelta(hours=12)
    email = next(m for m in _result_messages(session, world["dossier"]) if m.channel.value == "email")
    assert "trong 24 giờ" in email.body


def test_without_a_contract_both_clocks_are_the_24_hours_of_dieu_25_2_marked_default(session):
    """Điều 25.2, no contract: no zone time was agreed, so the delivery is due at the 24 hours too, basis
    "default"; the promise is "trong 24 giờ"."""
    world = _world(session, return_hours=None)
    leg = _result_ready(session, world)
    assert (leg.due_at, leg.due_basis, leg.commitment_due_at) == (
        READY + timedelta(hours=24), "default", READY + timedelta(hours=24))
    plan = sla.return_plan(session, world["dossier"], READY)
    assert plan.within_24_hours and not plan.breaks_commitment
    email = next(m for m in _result_messages(session, world["dossier"]) if m.channel.value == "email")
    assert "trong 24 giờ" in email.body


def test_a_breach_of_the_commitment_clock_alone_is_raised_and_named_dieu_25_2(session):
    """Điều 25.2: 30 hours after the result, the 48-hour delivery is on time but the 24-hour commitment is
    breached: one breach of the clock "return_commitment", its integration event, and the office's digest
    naming the commitment."""
    world = _world(session, return_hours=48)
    leg = _result_ready(session, world)
    now = READY + timedelta(hours=30)
    assert clock_state(started_at=leg.started_at, due_at=leg.due_at, now=now) == SlaState.on_time
    assert clock_state(started_at=leg.started_at, due_at=leg.commitment_due_at, now=now) == SlaState.breached
    breaches = sla.raise_breaches(session, now=now)
    session.commit()
    dossier = world["dossier"]
    assert [(b.dossier_id, b.clock, b.due_at) for b in breaches] == [
        (dossier.id, "return_commitment", READY + timedelta(hours=24))]
    stored = session.scalars(select(SlaBreach).where(SlaBreach.dossier_id == dossier.id)).all()
    assert [(row.clock.value, row.leg_id) for row in stored] == [("return_commitment", leg.id)]
    event = session.scalars(select(IntegrationEvent).where(IntegrationEvent.event_type == "sla.breached",
                                                           IntegrationEvent.aggregate_id == dossier.code)).one()
    assert event.payload["clock"] == "return_commitment"
    digest = session.scalars(select(OutboxMessage).where(OutboxMessage.template == "sla_breached",
                                                         OutboxMessage.recipient == world["office"].phone)).one()
    assert "cam ket tra trong 24 gio (Dieu 25.2)" in digest.body and dossier.code in digest.body
    assert "toan trinh chieu ve" not in digest.body
    # past 48 hours the delivery clock breaks too, raised once as a clock of its own
    later = sla.raise_breaches(session, now=READY + timedelta(hours=49))
    assert [(b.dossier_id, b.clock) for b in later] == [(dossier.id, "return")]


def test_a_result_delivered_between_the_two_due_times_breaches_only_the_commitment_dieu_25_2(session):
    """Điều 25.2: delivered 36 hours after the result: within the contract's 48 hours, late for the 24-hour
    commitment; the late completion is found by the scan."""
    world = _world(session, return_hours=48)
    leg = _result_ready(session, world)
    delivered = READY + timedelta(hours=36)
    base = {"occurred_at": delivered.isoformat(), "recorded_at": delivered.isoformat(), "leg": "return",
            "post_office_code": world["office"].code}
    results = ingestion.record_events(session, actor=world["staff"], now=delivered, dossier_code=world["dossier"].code,
                            trusted=True, events=[
                                {**base, "event_id": "return-commitment-1", "type": "result_handed_to_post",
                                 "occurred_at": (READY + timedelta(hours=2)).isoformat(),
                                 "recorded_at": (READY + timedelta(hours=2)).isoformat()},
                                {**base, "event_id": "return-commitment-2", "type": "delivered",
                                 "details": {"recipient_name": "Nguyễn Văn A", "id_checked": True}},
                            ])
    assert [r.status for r in results] == ["accepted", "accepted"], results
    session.commit()
    session.refresh(leg)
    assert leg.completed_at == delivered
    assert [b.clock for b in sla.raise_breaches(session, now=delivered + timedelta(hours=1))] == ["return_commitment"]


def test_only_the_return_leg_carries_a_commitment_clock_dieu_25_2(session):
    """Điều 25.2 is about returning the result: the database refuses a commitment on a forward leg."""
    world = _world(session, return_hours=None)
    leg = services.open_forward_leg(session, dossier=world["dossier"], picked_up_at=MONDAY)
    leg.commitment_due_at = MONDAY + timedelta(hours=24)
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def _contract_file(**changes) -> bytes:
    values = {
        "contract_number": "HĐ-25", "agency_code": "000.00.25.H10", "post_name": "Bưu điện tỉnh Bình Phước",
        "valid_from": "2026-01-01", "valid_until": "", "procedures": "all", "service_points": "",
        "pickup_areas": "70", "forward_same_commune": "24", "forward_same_province": "48",
        "forward_other_province": "96", "return_same_commune": "24", "return_same_province": "48",
        "return_other_province": "96", "return_commitment_hours": "24",
        "collection_methods": "cash", "home_pickup_vnd": "0", "home_delivery_vnd": "0",
        "collection_fee_percent": "0", "collection_fee_min_vnd": "0", "vat_percent": "10",
    }
    values.update(changes)
    return (",".join(CONTRACT_COLUMNS) + "\n" + ",".join(f'"{values[c]}"' for c in CONTRACT_COLUMNS) + "\n").encode()


_TARIFF = "\n".join(["contract_number,zone,max_grams,price_vnd,valid_from"] + [
    f"HĐ-25,{zone},2000,20000," for zone in ("same_commune", "same_province", "other_province")]).encode()


def test_saving_a_version_whose_return_zone_time_exceeds_the_commitment_warns_dieu_25_2(session):
    """Điều 25.2 (warning, not refusal, since Điều 22.5 lets the contract agree the zone time): the version is
    saved and each return zone longer than the commitment is named, on its column of the file."""
    factories.agency(session, code="000.00.25.H10", province_code="70", district_code="689")
    report = import_contracts(session, contracts_file=("hop-dong.csv", _contract_file(return_commitment_hours="20")),
                              tariff_file=("cuoc.csv", _TARIFF), now=MONDAY)
    assert report.ok and report.created == ["HĐ-25 v1"]
    assert [(w.line, w.column, w.params) for w in report.warnings] == [
        (2, "return_same_commune", {"zone": "same_commune", "hours": 24, "commitment": 20}),
        (2, "return_same_province", {"zone": "same_province", "hours": 48, "commitment": 20}),
        (2, "return_other_province", {"zone": "other_province", "hours": 96, "commitment": 20}),
    ]
    assert all("Điều 25.2" in w.text() for w in report.warnings)
    assert any("Điều 25.2" in line and "48 giờ" in line for line in report.lines())


def test_a_version_within_its_commitment_gives_no_warning_dieu_25_2(session):
    """Điều 25.2: return zone times all within the commitment: nothing to warn about."""
    agency = factories.agency(session, province_code="70", district_code="689")
    hours = {(leg, zone): 24 for leg in ("forward", "return") for zone in DEMO_TRIP_HOURS}
    contract = factories.contract(session, agency, trip_hours=hours, return_commitment_hours=24)
    assert commitment_warnings(contract.versions[0]) == []


def test_the_import_page_shows_the_warning_and_saves_the_version_dieu_25_2(client, session):
    """Điều 25.2: the operator sees the warning on the import page; the import is not refused."""
    factories.agency(session, code="000.00.25.H10", province_code="70", district_code="689")
    operator = factories.user(session, Role.operator)
    session.commit()
    log_in(client, operator)
    response = client.post("/contracts/import", data={
        "contracts_file": (io.BytesIO(_contract_file()), "hop-dong.csv"),
        "tariff_file": (io.BytesIO(_TARIFF), "cuoc.csv"),
    }, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Đã nhập 1 phiên bản hợp đồng." in html
    assert "return_same_province" in html and "(48 giờ) dài hơn cam kết trả trong 24 giờ của Điều 25.2" in html
    assert "return_same_commune" not in html.split("Đã lưu, nhưng cần xem lại")[1]


def test_the_workbench_hint_and_the_tracking_page_show_both_clocks_dieu_25_2(client, session):
    """Điều 25.2, 22.5: before the result, the officer's hint names the planned delivery and the commitment, and
    does not say "(trong 24 giờ)"; once the return leg runs, the tracking page shows both of its clocks."""
    world = _world(session, return_hours=48)
    dossier, officer = world["dossier"], world["officer"]
    workbench.receive_from_post(session, officer=officer, code=dossier.code, paper_matches=True, now=MONDAY)
    workbench.advance(session, officer=officer, code=dossier.code, action="transfer", now=MONDAY)
    workbench.advance(session, officer=officer, code=dossier.code, action="start_processing", now=MONDAY)
    session.commit()
    log_in(client, officer)
    html = client.get(f"/workbench/{dossier.code}").get_data(as_text=True)
    assert "Bưu chính nhận kết quả để chuyển trả: phát trước" in html
    assert "(trong 24 giờ)" not in html
    assert "Cam kết trả (Điều 25.2)" in html and "dài hơn cam kết trả trong 24 giờ của Điều 25.2" in html
    client.post("/logout")

    leg = services.open_return_leg(session, dossier=dossier, result_available_at=READY)
    session.commit()
    manager = factories.user(session, Role.office_manager, post_office=world["office"])
    session.commit()
    log_in(client, manager)
    page = client.get("/tracking/manager").get_data(as_text=True)
    assert dossier.code in page
    assert f"Cam kết trả (Điều 25.2) {format_local_datetime(leg.commitment_due_at)}" in page
    assert format_local_datetime(leg.due_at) in page


def test_the_managers_view_counts_an_open_leg_past_its_commitment_as_breached_dieu_25_2(session):
    """Điều 25.2: 30 hours after the result the contract's 48 hours still run, but the leg is listed among the
    breached ones by its commitment clock, and the export carries both clocks."""
    world = _world(session, return_hours=48)
    services.open_return_leg(session, dossier=world["dossier"], result_available_at=READY)
    session.commit()
    now = READY + timedelta(hours=30)
    row = next(r for r in reports.leg_rows(session, now=now, at_risk_share=0.75) if r.code == world["dossier"].code)
    assert (row.sla, row.commitment_sla, row.urgency) == (SlaState.on_time, SlaState.breached, SlaState.breached)
    breached = reports.overview(session, now=now, at_risk_share=0.75, state="breached")
    assert world["dossier"].code in [r.code for r in breached.rows]
    on_time = reports.overview(session, now=now, at_risk_share=0.75, state="on_time")
    assert world["dossier"].code not in [r.code for r in on_time.rows]
    exported = reports.to_csv([row]).decode("utf-8-sig").splitlines()
    assert exported[0].endswith("Hạn cam kết (Điều 25.2),SLA cam kết")
    assert exported[1].endswith("10/12/2026 09:00,Quá hạn")
