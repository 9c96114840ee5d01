"""Public lookup (R-19): by code and by ID number, field filtering, the QR link, rate limits,
the store kept in step with events inline and through apply_event."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from postal_gateway.accounts.models import Role
from postal_gateway.core.outbox import IntegrationEvent, emit
from postal_gateway.dossiers.models import DossierStatus, DossierStatusChange
from postal_gateway.lookup import projection, ratelimit, services
from postal_gateway.lookup.models import LookupRecord
from tests import factories
from tracking import ingestion

VN = timezone(timedelta(hours=7))
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=VN)
FORBIDDEN_BITS = ("latitude", "longitude", "11.5312", "106.8801", "+84", "Trần Thị Bưu Tá", "Lê Văn Cán Bộ",
                  "001098765432", "gọi")


@pytest.fixture(autouse=True)
def _fresh_buckets():
    ratelimit.reset_all()
    yield
    ratelimit.reset_all()


@pytest.fixture()
def journey(session):
    office = factories.post_office(session, name="Bưu cục Đồng Xoài", phone="+842713888999")
    staff = factories.user(session, Role.postal_staff, post_office=office, full_name="Trần Thị Bưu Tá",
                           phone="+84911111111")
    citizen = factories.user(session, Role.citizen, full_name="Nguyễn Văn Dân", id_number="001098765432",
                             phone="+84922222222")
    dossier = factories.postal_dossier(session, staff=staff, citizen=citizen, entered_at=NOW - timedelta(hours=6),
                                       organisation_name="Công ty TNHH Thử")
    dossier.history.append(DossierStatusChange(from_status=None, to_status=DossierStatus.received,
                                               at=NOW - timedelta(hours=6), actor_id=staff.id))
    session.flush()
    ingestion.record_events(session, actor=staff, now=NOW, dossier_code=dossier.code, events=[
        {"event_id": "lk-00000001", "type": "picked_up", "occurred_at": (NOW - timedelta(hours=5)).isoformat(),
         "post_office_code": office.code, "latitude": 11.5312, "longitude": 106.8801, "note": "gọi +84933333333"},
        {"event_id": "lk-00000002", "type": "handed_to_agency", "occurred_at": (NOW - timedelta(hours=1)).isoformat(),
         "post_office_code": office.code, "details": {"officer_name": "Lê Văn Cán Bộ"}},
    ])
    session.commit()
    return dossier, citizen


def test_the_store_follows_shipment_events_inline(session, journey):
    dossier, _citizen = journey
    record = session.scalar(select(LookupRecord).where(LookupRecord.code == dossier.code))
    assert record is not None, "the events' own transaction wrote the lookup record"
    labels = [item["label"] for item in record.timeline]
    assert labels == ["Đã tiếp nhận", "Đã nhận hồ sơ từ công dân", "Đã giao cho Bộ phận Một cửa"]
    assert record.timeline[1]["place"] == "Bưu cục Đồng Xoài"


def test_page_by_code_shows_r19_fields_and_timeline_only(client, journey):
    dossier, _citizen = journey
    response = client.get(f"/lookup?code={dossier.code}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for expected in (dossier.code, "Nguyễn Văn Dân", "Công ty TNHH Thử", dossier.agency.name,
                     "Đã giao cho Bộ phận Một cửa", "<svg"):
        assert expected in html
    for secret in FORBIDDEN_BITS:
        assert secret not in html


def test_api_by_code_and_by_id_number_return_only_public_fields(client, journey):
    dossier, _citizen = journey
    by_code = client.get(f"/api/v1/lookup?code={dossier.code.lower()}").get_json()["dossiers"]
    by_id = client.get("/api/v1/lookup?id_number=001 098 765 432").get_json()["dossiers"]
    # the same dossier, the applicant's name masked by ID number (Nghị định 13/2023/NĐ-CP)
    assert by_code[0]["applicant_name"] == "Nguyễn Văn Dân" and by_id[0]["applicant_name"] == "Nguyễn V. D."
    assert [dict(item, applicant_name="") for item in by_code] == [dict(item, applicant_name="") for item in by_id]
    assert set(by_code[0]) == set(services.PUBLIC_FIELDS) | {"lookup_url"}
    assert by_code[0]["lookup_url"] == f"http://testserver/lookup?code={dossier.code}"
    text = str(by_code)
    for secret in FORBIDDEN_BITS:
        assert secret not in text
    for item in by_code[0]["timeline"]:
        assert set(item) == {"at", "label", "place"}


def test_id_number_is_stored_only_as_a_keyed_hash(session, journey):
    dossier, citizen = journey
    record = session.scalar(select(LookupRecord).where(LookupRecord.code == dossier.code))
    assert citizen.id_number not in str([getattr(record, c.key) for c in LookupRecord.__table__.columns])
    assert record.id_number_hash == projection.id_number_hash("001098765432")
    assert len(record.id_number_hash) == 64


def test_unknown_and_malformed_input_get_clear_answers(client, journey):
    unknown = client.get("/api/v1/lookup?code=000.00.20.H10-260101-9999")
    assert unknown.status_code == 404 and "Không có hồ sơ" in unknown.get_json()["detail"]
    malformed = client.get("/api/v1/lookup?code=<script>")
    assert malformed.status_code == 422 and malformed.get_json()["errors"][0]["field"] == "code"
    nothing = client.get("/api/v1/lookup")
    assert nothing.status_code == 422
    both = client.get("/api/v1/lookup?code=x&id_number=y")
    assert both.status_code == 422
    bad_id = client.get("/api/v1/lookup?id_number=12")
    assert bad_id.status_code == 422 and bad_id.get_json()["errors"][0]["field"] == "id_number"
    no_owner = client.get("/api/v1/lookup?id_number=001099999999")
    assert no_owner.status_code == 404
    page = client.get("/lookup?code=rác\x00")
    assert page.status_code == 422 and "Mã hồ sơ" in page.get_data(as_text=True)
    assert client.get("/lookup?code=000.00.20.H10-260101-9999").status_code == 404
    assert client.get("/lookup").status_code == 200


def test_the_slip_qr_link_works(client, journey):
    from postal_gateway.dossiers.services import lookup_url

    dossier, _citizen = journey
    response = client.get(lookup_url(dossier.code, ""))
    assert response.status_code == 200 and dossier.code in response.get_data(as_text=True)


def test_a_dossier_without_record_gets_one_on_first_lookup(client, session):
    dossier = factories.postal_dossier(session)
    session.commit()
    assert session.scalar(select(LookupRecord)) is None
    response = client.get(f"/api/v1/lookup?code={dossier.code}")
    assert response.status_code == 200
    assert session.scalar(select(LookupRecord.code)) == dossier.code


def test_lookups_are_rate_limited_per_client(client, journey):
    """Each client has its own count, kept in the app's shared limiter storage (one count across workers)."""
    dossier, _citizen = journey
    for _ in range(ratelimit.by_code.capacity):
        assert client.get(f"/api/v1/lookup?code={dossier.code}").status_code == 200
    refused = client.get(f"/api/v1/lookup?code={dossier.code}")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    other = client.get(f"/api/v1/lookup?code={dossier.code}", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200
    for _ in range(ratelimit.by_id_number.capacity):
        client.get("/api/v1/lookup?id_number=001098765432", environ_base={"REMOTE_ADDR": "10.0.0.8"})
    assert client.get("/api/v1/lookup?id_number=001098765432",
                      environ_base={"REMOTE_ADDR": "10.0.0.8"}).status_code == 429


def test_lookup_counts_live_in_the_shared_limiter_storage(app):
    """What one worker counted, another sees: the count is in the limiter's storage, not in the process."""
    from postal_gateway.web.throttling import limiter
    for _ in range(ratelimit.by_id_number.capacity):
        ratelimit.by_id_number.take("10.1.1.1")
    assert not limiter.limiter.test(ratelimit.by_id_number.item, "lookup", "id_number", "10.1.1.1")
    assert limiter.limiter.test(ratelimit.by_id_number.item, "lookup", "id_number", "10.1.1.2")


def test_apply_event_is_idempotent_and_follows_status_changes(session, journey):
    dossier, _citizen = journey
    dossier.status = DossierStatus.supplement_requested
    session.flush()
    message = {"event_id": "evt-1", "event_type": "dossier.status_changed", "aggregate_type": "dossier",
               "aggregate_id": dossier.code, "payload": {"dossier_code": dossier.code, "reasons": ["Bản sao CCCD mờ"]}}
    projection.apply_event(session, message)
    projection.apply_event(session, message)
    session.commit()
    records = session.scalars(select(LookupRecord)).all()
    assert len(records) == 1
    assert records[0].status == "supplement_requested" and records[0].supplements == ["Bản sao CCCD mờ"]
    projection.apply_event(session, {"event_type": "payment.settled", "payload": {}})
    projection.apply_event(session, {"event_type": "dossier.received", "aggregate_id": "nope"})
    projection.apply_event(session, "garbage")  # type: ignore[arg-type]


def test_status_change_events_emitted_anywhere_reach_the_store_in_the_same_transaction(session, journey):
    dossier, _citizen = journey
    dossier.status = DossierStatus.result_ready
    emit(session, "dossier.status_changed", aggregate_type="dossier", aggregate_id=dossier.code,
         payload={"dossier_code": dossier.code, "to": "result_ready"})
    session.commit()
    assert session.scalar(select(LookupRecord.status).where(LookupRecord.code == dossier.code)) == "result_ready"
    assert session.scalar(select(IntegrationEvent.event_type).where(
        IntegrationEvent.event_type == "dossier.status_changed")) is not None
