"""Compensation for a lost dossier is four-eyes (Điều 25.2: the post compensates every cost and fee):
the person who proposes the amount neither approves it nor records its payment; approval needs the
office manager (trưởng bưu cục) of the office concerned or an operator; the total stays within the
contract's ceiling; who paid, when and how is kept."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from contracts.services import attach_contract
from postal_gateway.accounts.models import Role, User
from postal_gateway.core.db import utcnow
from postal_gateway.core.domain import Conflict, Forbidden, InvalidInput
from tests import factories
from tests.conftest import log_in
from tracking import compensation, ingestion
from tracking.models import CompensationCase, CompensationPaymentMethod, CompensationStatus


def _lose(session, staff, dossier, prefix: str) -> CompensationCase:
    office = staff.post_office.code
    now = utcnow()
    ingestion.record_events(session, actor=staff, dossier_code=dossier.code, now=now, events=[
        {"event_id": f"{prefix}-000001", "type": "picked_up", "occurred_at": (now - timedelta(hours=3)).isoformat(),
         "post_office_code": office},
        {"event_id": f"{prefix}-000002", "type": "lost", "occurred_at": (now - timedelta(hours=2)).isoformat(),
         "post_office_code": office},
    ])
    session.flush()
    return session.scalar(select(CompensationCase).where(CompensationCase.dossier_id == dossier.id))


@pytest.fixture()
def world(session):
    proposer = factories.user(session, Role.postal_staff)
    office = proposer.post_office
    colleague = factories.user(session, Role.postal_staff, post_office=office)
    manager = factories.user(session, Role.office_manager, post_office=office)
    other_manager = factories.user(session, Role.office_manager)  # manages another post office
    dossier = factories.postal_dossier(session, staff=proposer, entered_at=utcnow() - timedelta(hours=4))
    case = _lose(session, proposer, dossier, "four")
    session.commit()
    return {"proposer": proposer, "colleague": colleague, "manager": manager, "other_manager": other_manager,
            "dossier": dossier, "case": case}


def test_the_proposer_cannot_approve_their_own_amount(session, world):
    case = compensation.propose_compensation(session, world["case"].id, actor=world["manager"], costs_vnd=50_000)
    assert case.status == CompensationStatus.proposed and case.proposed_by_id == world["manager"].id
    with pytest.raises(Forbidden):
        compensation.approve_compensation(session, case.id, actor=world["manager"])
    assert case.status == CompensationStatus.proposed


def test_approval_needs_the_office_manager_of_the_office_concerned(session, world):
    case_id = world["case"].id
    compensation.propose_compensation(session, case_id, actor=world["proposer"], costs_vnd=50_000, note="Sao y")
    for refused in (world["colleague"], world["other_manager"]):
        with pytest.raises(Forbidden):
            compensation.approve_compensation(session, case_id, actor=refused)
    case = compensation.approve_compensation(session, case_id, actor=world["manager"])
    assert case.status == CompensationStatus.approved and case.decided_by_id == world["manager"].id


def test_an_operator_may_approve(session, world):
    operator = factories.user(session, Role.operator)
    compensation.propose_compensation(session, world["case"].id, actor=world["proposer"], costs_vnd=0)
    assert compensation.approve_compensation(session, world["case"].id, actor=operator).status == CompensationStatus.approved


def test_nothing_is_approved_before_an_amount_is_proposed(session, world):
    with pytest.raises(Conflict):
        compensation.approve_compensation(session, world["case"].id, actor=world["manager"])


def test_the_proposer_cannot_record_the_payment_and_the_payer_is_kept(session, world):
    case_id = world["case"].id
    compensation.propose_compensation(session, case_id, actor=world["proposer"], costs_vnd=20_000)
    compensation.approve_compensation(session, case_id, actor=world["manager"])
    with pytest.raises(Forbidden):
        compensation.pay_compensation(session, case_id, actor=world["proposer"], payment_reference="PC-1",
                                      payment_method="cash")
    with pytest.raises(InvalidInput) as missing:
        compensation.pay_compensation(session, case_id, actor=world["colleague"], payment_reference="PC-1",
                                      payment_method="cheque")
    assert [e.field for e in missing.value.field_errors] == ["payment_method"]
    case = compensation.pay_compensation(session, case_id, actor=world["colleague"], payment_reference="PC-1",
                                         payment_method="bank_transfer", redo_arranged=True)
    assert case.status == CompensationStatus.paid
    assert (case.paid_by_id, case.payment_method, case.payment_reference) == (
        world["colleague"].id, CompensationPaymentMethod.bank_transfer, "PC-1")
    assert case.paid_at is not None and case.redo_arranged


def test_the_database_refuses_one_person_in_both_places(session, world):
    case = world["case"]
    staff_id = world["proposer"].id
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.execute(update(CompensationCase).where(CompensationCase.id == case.id).values(
                status=CompensationStatus.approved, proposed_by_id=staff_id, decided_by_id=staff_id))


def test_the_total_stays_within_the_contracts_ceiling(session):
    office = factories.post_office(session, province_code="70", district_code="689")
    proposer = factories.user(session, Role.postal_staff, post_office=office)
    manager = factories.user(session, Role.office_manager, post_office=office)
    agency = factories.agency(session, province_code="70", district_code="689")
    procedure = factories.procedure(session, agency)
    factories.contract(session, agency, compensation_cap_vnd=200_000)
    dossier = factories.postal_dossier(session, staff=proposer, procedure=procedure, fee_vnd=50_000,
                                       postage_vnd=30_000, entered_at=utcnow() - timedelta(hours=4))
    assert attach_contract(session, dossier) is not None
    case = _lose(session, proposer, dossier, "capped")
    assert case.cap_vnd == 200_000
    with pytest.raises(InvalidInput) as over:
        compensation.propose_compensation(session, case.id, actor=proposer, costs_vnd=120_001)
    assert over.value.field_errors[0].field == "costs_vnd"
    compensation.propose_compensation(session, case.id, actor=proposer, costs_vnd=120_000)
    assert compensation.approve_compensation(session, case.id, actor=manager).total_vnd == 200_000


def test_pages_keep_four_eyes(client, session, world):
    case_id, office = world["case"].id, world["proposer"].post_office
    log_in(client, world["proposer"])
    assert client.post(f"/tracking/compensations/{case_id}/propose", data={"costs_vnd": "30000"}).status_code == 302
    assert client.post(f"/tracking/compensations/{case_id}/approve").status_code == 403
    client.post("/logout")
    log_in(client, world["manager"])
    page = client.get("/tracking/compensations").get_data(as_text=True)
    assert world["dossier"].code in page and "Duyệt bồi thường" in page
    assert 'href="/tracking/manager"' in page  # the office manager's way in, from the menu
    assert client.post(f"/tracking/compensations/{case_id}/approve").status_code == 302
    client.post("/logout")
    log_in(client, world["proposer"])
    assert client.post(f"/tracking/compensations/{case_id}/pay",
                       data={"payment_reference": "PC-7", "payment_method": "cash"}).status_code == 403
    session.expire_all()
    case = session.get(CompensationCase, case_id)
    assert case.status == CompensationStatus.approved and case.proposed_by.post_office_id == office.id


def test_office_managers_are_created_with_their_post_office(app, session):
    factories.post_office(session, code="830900")
    session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "office_manager", "truong@buudien.vn", "Trần Văn Trưởng",
                                 "--post-office", "830900", "--password", "mat-khau-du-dai"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    manager = session.scalars(select(User).where(User.email == "truong@buudien.vn")).one()
    assert manager.role == Role.office_manager and manager.post_office.code == "830900"
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.add(User(role=Role.office_manager, full_name="Không Bưu Cục", email="x@buudien.vn", is_active=True))
            session.flush()


def test_the_contracts_file_carries_the_compensation_ceiling(session):
    from contracts.importer import CONTRACT_COLUMNS, import_contracts
    from contracts.models import ContractVersion

    factories.agency(session, code="000.00.20.H10", province_code="70", district_code="689")
    factories.post_office(session, code="830000", province_code="70", district_code="689")
    values = {
        "contract_number": "HĐ-CAP", "agency_code": "000.00.20.H10", "post_name": "Bưu điện tỉnh Bình Phước",
        "valid_from": "2026-01-01", "valid_until": "", "procedures": "all", "service_points": "830000",
        "pickup_areas": "70", "forward_same_commune": "24", "forward_same_province": "48",
        "forward_other_province": "96", "return_same_commune": "24", "return_same_province": "48",
        "return_other_province": "96", "return_commitment_hours": "24", "collection_methods": "cash",
        "home_pickup_vnd": "0", "home_delivery_vnd": "0", "collection_fee_percent": "0",
        "collection_fee_min_vnd": "0", "vat_percent": "10", "compensation_cap_vnd": "3000000",
    }
    columns = (*CONTRACT_COLUMNS, "compensation_cap_vnd")
    data = (",".join(columns) + "\n" + ",".join(f'"{values[c]}"' for c in columns) + "\n").encode()
    bands = b"contract_number,zone,max_grams,price_vnd\n" + b"".join(
        f"HĐ-CAP,{zone},500,10000\n".encode() for zone in ("same_commune", "same_province", "other_province"))
    report = import_contracts(session, contracts_file=("hop-dong.csv", data), tariff_file=("cuoc.csv", bands),
                              now=utcnow())
    assert report.ok, report.lines()
    assert session.scalar(select(ContractVersion.compensation_cap_vnd)) == 3_000_000
