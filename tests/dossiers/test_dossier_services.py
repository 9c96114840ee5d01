"""Postal intake rules (R-04…R-07, R-10, R-15) through the domain service."""
from __future__ import annotations

import io
import re
import threading
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from postal_gateway.accounts.models import Role, User
from postal_gateway.consents.models import AuditEntry, ConsentScope, ConsentStatus
from postal_gateway.core.db import SessionFactory
from postal_gateway.core.domain import Conflict, Forbidden, InvalidInput, NotFound
from postal_gateway.dossiers.models import (
    CollectionMethod,
    CollectionPlace,
    Dossier,
    DossierStatus,
)
from postal_gateway.dossiers.services import (
    CollectedPayment,
    PostalSubmission,
    get_dossier_by_code,
    list_dossiers,
    submit,
    submit_postal_dossier,
)
from postal_gateway.dossiers.shipments import format_shipment_number, is_shipment_number
from tests import factories

MB = 1024 * 1024
# Tuesday 8 December 2026, 09:00 in Vietnam
TUESDAY_9H = datetime(2026, 12, 8, 2, 0, tzinfo=timezone.utc)


def png_bytes(colour=(200, 10, 10)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture()
def world(session):
    agency = factories.agency(session, code="000.00.20.H10")
    procedure = factories.procedure(
        session, agency, checklist=("Tờ khai", "Bản sao giấy phép", "Ảnh chân dung"), fee_vnd=50_000, level=4
    )
    staff = factories.user(session, Role.postal_staff)
    citizen = factories.user(session, Role.citizen)
    consent = factories.consent(session, citizen, staff, now=datetime(2026, 12, 1, tzinfo=timezone.utc))
    session.commit()
    return {"agency": agency, "procedure": procedure, "staff": staff, "citizen": citizen, "consent": consent}


def command(world, **overrides) -> PostalSubmission:
    items = [item.id for item in world["procedure"].checklist]
    values = dict(
        staff=world["staff"],
        citizen=world["citizen"],
        procedure_code=world["procedure"].code,
        checklist_ticked=items,
        scans=[(item_id, f"tep{item_id}.png", png_bytes((item_id % 255, 0, 0))) for item_id in items],
        collection_place=CollectionPlace.post_office,
        pickup_address="",
        delivery_address="12 Trần Hưng Đạo, Đồng Xoài",
        fee_collected=CollectedPayment(50_000, CollectionMethod.cash),
        postage_vnd=30_000,
        postage_collected=CollectedPayment(30_000, CollectionMethod.cash),
        submission_key="key-1",
        max_scan_bytes=MB,
        entered_at=TUESDAY_9H,
    )
    values.update(overrides)
    return PostalSubmission(**values)


def test_postal_intake_submits_without_code_or_receipt__dieu_21_1(session, world):
    """Điều 21.1, 14.4: the post submits the dossier online; it has a shipment number (S10) but no
    dossier code, receipt time, due time or appointment until the agency accepts it. Money, scans,
    history and audit are kept as before."""
    outcome = submit(session, command(world))
    session.commit()
    dossier = outcome.dossier
    assert not outcome.replayed
    assert dossier.status == DossierStatus.submitted
    assert re.fullmatch(r"RA\d{9}VN", dossier.shipment_number) and is_shipment_number(dossier.shipment_number)
    assert dossier.submitted_at == TUESDAY_9H
    assert (dossier.code, dossier.received_at, dossier.processing_start_at, dossier.due_at, dossier.appointment_date,
            dossier.accepted_at, dossier.receipt_basis) == (None,) * 7
    assert dossier.fee_vnd == 50_000 and dossier.postage_vnd == 30_000
    assert len(dossier.documents) == 3
    assert {c.kind.value: c.amount_vnd for c in dossier.collected} == {"fee": 50_000, "postage": 30_000}
    (change,) = dossier.history
    assert change.actor_id == world["staff"].id and change.on_behalf_of_id == world["citizen"].id
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "dossier.submitted"))
    assert entry.actor_id == world["staff"].id
    assert entry.on_behalf_of_id == world["citizen"].id
    assert entry.consent_id == world["consent"].id
    from postal_gateway.notifications.models import OutboxMessage

    assert session.scalar(select(OutboxMessage).where(OutboxMessage.template == "dossier_received")) is None
    message = session.scalar(select(OutboxMessage).where(OutboxMessage.template == "dossier_submitted"))
    assert message.recipient == world["citizen"].phone and dossier.shipment_number in message.body
    # level 4 without a digital signature: originals follow by post
    assert "Bản gốc gửi kèm qua bưu chính" in dossier.note


def test_submitted_message_says_submitted_not_received__dieu_21_1(session, world):
    """Điều 21.1, 12.1.d: the citizen's message at intake says "submitted" (nộp), never "received"
    (tiếp nhận) as done, and promises no appointment date."""
    from postal_gateway.notifications.models import OutboxMessage

    saturday = datetime(2026, 12, 12, 3, 0, tzinfo=timezone.utc)  # 10:00 Saturday in Vietnam
    dossier = submit(session, command(world, entered_at=saturday)).dossier
    assert dossier.received_at is None and dossier.code is None
    body = session.scalar(select(OutboxMessage.body).where(OutboxMessage.template == "dossier_submitted"))
    # text messages go without tone marks
    assert "nop truc tuyen" in body and dossier.shipment_number in body and "10:00 12/12/2026" in body
    assert "da duoc tiep nhan" not in body and "chua duoc tiep nhan chinh thuc" in body
    assert re.findall(r"\d{2}/\d{2}/\d{4}", body) == ["12/12/2026"]  # no appointment date


def test_missing_required_documents_are_named_all_at_once(session, world):
    first, second, third = world["procedure"].checklist
    with pytest.raises(InvalidInput) as refused:
        submit(session, command(world, checklist_ticked=[first.id], scans=[(first.id, "a.png", png_bytes())]))
    named = [e.params["name"] for e in refused.value.field_errors if e.field == "checklist"]
    assert named == [second.name, third.name]
    assert session.scalar(select(func.count(Dossier.id))) == 0


def test_scan_mismatches_are_all_reported(session, world):
    first, second, third = world["procedure"].checklist
    scans = [
        (first.id, "a.png", png_bytes()),
        (first.id, "b.png", png_bytes((1, 2, 3))),  # two files for one document
        (second.id, "giay.pdf", b"not a pdf at all"),  # bad content
        (9999, "x.png", png_bytes()),  # not on the checklist
    ]  # third has no file
    with pytest.raises(InvalidInput) as refused:
        submit(session, command(world, scans=scans))
    fields = {e.field for e in refused.value.field_errors}
    assert {f"scan_{first.id}", f"scan_{second.id}", f"scan_{third.id}", "scan_9999"} <= fields


def test_bad_amounts_and_address_pickup_without_address(session, world):
    with pytest.raises(InvalidInput) as refused:
        submit(
            session,
            command(
                world,
                fee_collected=CollectedPayment(40_000, CollectionMethod.online),
                postage_vnd=-5,
                collection_place=CollectionPlace.citizen_address,
                pickup_address="  ",
            ),
        )
    fields = [e.field for e in refused.value.field_errors]
    assert fields.count("fee") == 2  # wrong amount and wrong method
    assert "postage" in fields and "pickup_address" in fields


def test_level_4_may_leave_the_fee_for_online_payment_but_level_3_may_not(session, world):
    dossier = submit(session, command(world, fee_collected=None)).dossier
    assert dossier.fee_vnd == 50_000
    assert [c.kind.value for c in dossier.collected] == ["postage"]
    level3 = factories.procedure(session, world["agency"], checklist=("Tờ khai",), level=3, fee_vnd=20_000)
    item = level3.checklist[0].id
    with pytest.raises(InvalidInput) as refused:
        submit(
            session,
            command(world, procedure_code=level3.code, checklist_ticked=[item],
                    scans=[(item, "a.png", png_bytes())], fee_collected=None, submission_key="k3"),
        )
    assert [e.field for e in refused.value.field_errors] == ["fee"]


def test_unknown_and_non_postal_procedures_are_refused(session, world):
    with pytest.raises(NotFound):
        submit(session, command(world, procedure_code="T-KHONG-CO"))
    excluded = factories.procedure(session, world["agency"], postal_eligible=False, name="Cấp phép đặc biệt")
    with pytest.raises(InvalidInput) as refused:
        submit(session, command(world, procedure_code=excluded.code))
    assert "không tiếp nhận qua bưu chính" in refused.value.message
    assert refused.value.params["name"] == "Cấp phép đặc biệt"


def test_without_consent_the_submission_is_refused(session, world):
    world["consent"].status = ConsentStatus.revoked
    session.commit()
    with pytest.raises(Forbidden):
        submit(session, command(world))
    assert session.scalar(select(func.count(Dossier.id))) == 0


def test_staff_and_citizen_must_be_active_accounts_of_their_role(session, world):
    agency_staff = factories.user(session, Role.agency_staff)
    with pytest.raises(Forbidden):
        submit(session, command(world, staff=agency_staff))
    world["citizen"].is_active = False
    with pytest.raises(InvalidInput):
        submit(session, command(world))


def test_single_dossier_consent_is_marked_used(session, world):
    single = factories.consent(session, world["citizen"], world["staff"], scope=ConsentScope.single_dossier,
                               now=datetime(2026, 12, 5, tzinfo=timezone.utc))
    world["consent"].status = ConsentStatus.revoked
    session.commit()
    dossier = submit(session, command(world)).dossier
    session.commit()
    session.refresh(single)
    assert single.status == ConsentStatus.used and single.used_by_dossier_id == dossier.id


def test_same_key_same_content_returns_the_same_dossier_and_different_content_conflicts(session, world):
    first = submit(session, command(world))
    session.commit()
    again = submit(session, command(world, entered_at=datetime(2026, 12, 8, 3, 0, tzinfo=timezone.utc)))
    assert again.replayed and again.dossier.id == first.dossier.id
    with pytest.raises(Conflict):
        submit(session, command(world, delivery_address="Địa chỉ khác"))
    assert session.scalar(select(func.count(Dossier.id))) == 1
    # the keyword form answers with the dossier too
    assert submit_postal_dossier(session, **vars(command(world))).id == first.dossier.id


def _concurrent(app, world, count, make_command):
    from sqlalchemy import create_engine

    # one connection per thread, however busy the machine: the app's pool is smaller than 50
    engine = create_engine(app.extensions["engine"].url, pool_size=count, max_overflow=0, pool_timeout=120)
    ids = {name: world[name].id for name in ("staff", "citizen")}
    barrier = threading.Barrier(count)
    results, failures, lock = [], [], threading.Lock()

    def worker(index):
        barrier.wait(timeout=30)
        own = SessionFactory(bind=engine)
        try:
            staff, citizen = own.get(User, ids["staff"]), own.get(User, ids["citizen"])
            outcome = submit(own, make_command(index, staff, citizen))
            own.commit()
            with lock:
                results.append((outcome.dossier.shipment_number, outcome.replayed))
        except BaseException as error:  # noqa: BLE001
            own.rollback()
            with lock:
                failures.append(error)
        finally:
            own.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    engine.dispose()
    return results, failures


@pytest.mark.slow
@pytest.mark.commits  # fifty connections at once
def test_fifty_concurrent_submissions_get_fifty_shipment_numbers__dieu_21_1(app, session, world):
    """Điều 21.1: each submission gets its own shipment number; no code is issued at the post."""
    results, failures = _concurrent(
        app, world, 50, lambda i, staff, citizen: command(world, staff=staff, citizen=citizen, submission_key=f"k-{i}")
    )
    assert not failures
    assert sorted(number for number, _ in results) == [format_shipment_number(n) for n in range(1, 51)]


@pytest.mark.commits  # two threads, two connections
def test_two_identical_requests_at_once_make_one_dossier(app, session, world):
    results, failures = _concurrent(
        app, world, 2, lambda i, staff, citizen: command(world, staff=staff, citizen=citizen, submission_key="same")
    )
    assert not failures
    assert len({code for code, _ in results}) == 1
    assert sorted(replayed for _, replayed in results) == [False, True]
    session.expire_all()
    assert session.scalar(select(func.count(Dossier.id))) == 1
    # the loser gave its number back: the next shipment number is the second one
    later = submit(session, command(world, submission_key="next"))
    assert later.dossier.shipment_number == format_shipment_number(2)


def test_access_rules_of_reading(session, world):
    dossier = submit(session, command(world)).dossier
    session.commit()
    same_office = factories.user(session, Role.postal_staff, post_office_id=world["staff"].post_office_id)
    agency_staff = factories.user(session, Role.agency_staff, agency_id=world["agency"].id)
    operator = factories.user(session, Role.operator)
    for viewer in (world["citizen"], same_office, agency_staff, operator):
        # before acceptance the shipment number is its reference (Điều 21.1, 14.4)
        assert get_dossier_by_code(session, dossier.shipment_number, viewer=viewer).id == dossier.id
        assert [d.id for d in list_dossiers(session, viewer)] == [dossier.id]
    for stranger in (factories.user(session, Role.citizen), factories.user(session, Role.postal_staff),
                     factories.user(session, Role.agency_staff)):
        with pytest.raises(NotFound):
            get_dossier_by_code(session, dossier.shipment_number, viewer=stranger)
        assert list_dossiers(session, stranger) == []
    with pytest.raises(NotFound):
        get_dossier_by_code(session, "rác", viewer=operator)


def _under_contract(session, world):
    world["agency"].province_code, world["agency"].district_code = "70", "689"
    world["staff"].post_office.province_code, world["staff"].post_office.district_code = "70", "690"
    contract = factories.contract(session, world["agency"])
    session.commit()
    return contract


def test_intake_keeps_the_contract_version_in_force_at_receipt_and_the_zones(session, world):
    from contracts.models import DossierContract, Zone

    contract = _under_contract(session, world)
    dossier = submit(session, command(world, delivery_address="12 Lê Lợi, Quận 1, TP HCM")).dossier
    session.commit()
    recorded = session.get(DossierContract, dossier.id)
    assert recorded.version_id == contract.versions[0].id
    assert (recorded.forward_zone, recorded.return_zone) == (Zone.same_province, Zone.other_province)


def test_intake_refuses_a_delivery_address_that_cannot_be_placed_and_saves_nothing(session, world):
    _under_contract(session, world)
    with pytest.raises(InvalidInput) as caught:
        submit(session, command(world, delivery_address="Nowhere street, Atlantis"))
    session.rollback()
    assert [item.field for item in caught.value.field_errors] == ["delivery_address"]
    assert session.scalar(select(func.count()).select_from(Dossier)) == 0


def test_the_shipment_number_opens_with_the_configured_prefix(world, session):
    """The S10 service indicator comes from Settings.shipment_prefix (SHIPMENT_PREFIX)."""
    outcome = submit(session, command(world, shipment_prefix="EE"))
    assert outcome.dossier.shipment_number.startswith("EE") and outcome.dossier.shipment_number.endswith("VN")
