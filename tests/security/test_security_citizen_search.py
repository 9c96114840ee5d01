"""Postal staff find a citizen only by the exact ID number or phone in front of them, see only what the
intake needs, and every search is audited (Nghị định 13/2023/NĐ-CP: no more personal data than needed)."""
from sqlalchemy import select

from postal_gateway.accounts import services
from postal_gateway.accounts.models import Role
from postal_gateway.consents.models import AuditEntry
from tests import factories
from tests.conftest import log_in
from tests.consents.test_consents_web import bearer


def _citizens(session):
    hoa = factories.user(session, full_name="Nguyễn Thị Hoa", id_number="070190001111", phone="+84912345678",
                         email="hoa.nguyen@example.vn", address="12 Trần Hưng Đạo, Đồng Xoài")
    binh = factories.user(session, full_name="Nguyễn Văn Bình", id_number="070085002222", phone="+84987654321")
    return hoa, binh


def test_a_name_or_a_prefix_finds_nobody(session):
    hoa, _ = _citizens(session)
    staff = factories.user(session, role=Role.postal_staff)
    for query in ("Nguyễn", "nguyen", "Hoa", "0701", "070190", "0912", "N"):
        assert services.find_citizens(session, query, searched_by=staff) == [], query
    assert services.find_citizens(session, "070190001111", searched_by=staff) == [hoa]
    assert services.find_citizens(session, "+84 912 345 678", searched_by=staff) == [hoa]


def test_every_search_is_audited_without_the_query(session):
    hoa, _ = _citizens(session)
    staff = factories.user(session, role=Role.postal_staff)
    services.find_citizens(session, "070190001111", searched_by=staff)
    services.find_citizens(session, "Nguyễn", searched_by=staff)
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "citizen.searched")
                              .order_by(AuditEntry.id)).all()
    assert [(e.actor_id, e.subject_id, e.details["found"]) for e in entries] == [(staff.id, hoa.id, [hoa.id]),
                                                                                  (staff.id, None, [])]
    assert "070190001111" not in str(entries[0].details) and "Nguyễn" not in str(entries[1].details)


def test_the_search_page_shows_masked_numbers_and_no_contact_details(client, session):
    hoa, binh = _citizens(session)
    factories.user(session, role=Role.postal_staff, email="buudien@example.vn")
    session.commit()
    log_in(client, "buudien@example.vn")
    by_name = client.get("/citizens?q=Nguyễn").get_data(as_text=True)
    assert hoa.full_name not in by_name and binh.full_name not in by_name
    page = client.get("/citizens?q=070190001111").get_data(as_text=True)
    assert hoa.full_name in page and "070******111" in page and "+849*****678" in page
    assert "+84912345678" not in page and binh.full_name not in page
    detail = client.get(f"/citizens/{hoa.id}").get_data(as_text=True)
    for secret in ("070190001111", "+84912345678", "hoa.nguyen@example.vn", "Trần Hưng Đạo"):
        assert secret not in detail, secret
    session.expire_all()
    assert session.scalar(select(AuditEntry.id).where(AuditEntry.action == "citizen.searched")) is not None


def test_the_api_lists_only_exact_matches_in_summary(client, session):
    hoa, _ = _citizens(session)
    staff = factories.user(session, role=Role.postal_staff)
    headers = bearer(session, staff)
    assert client.get("/api/v1/citizens?q=Nguyen", headers=headers).get_json()["items"] == []
    items = client.get("/api/v1/citizens?q=0912345678", headers=headers).get_json()["items"]
    assert items == [{"id": hoa.id, "full_name": hoa.full_name, "id_kind": "citizen_id",
                      "id_number_masked": "070******111", "phone_masked": "+849*****678", "status": "active"}]
    one = client.get(f"/api/v1/citizens/{hoa.id}", headers=headers).get_json()
    assert "email" not in one and "address" not in one and "id_number" not in one
    # registering an ID number that already has an account does not reveal that account's details
    again = client.post("/api/v1/citizens", json={"full_name": "X", "id_number": "070190001111",
                                                   "phone": "0987000111"}, headers=headers)
    assert again.status_code == 200 and "email" not in again.get_json() and "phone" not in again.get_json()


def test_the_consent_pages_show_the_citizens_numbers_masked(client, session):
    hoa, _ = _citizens(session)
    staff = factories.user(session, role=Role.postal_staff, email="buudien@example.vn")
    session.commit()
    log_in(client, "buudien@example.vn")
    start = client.get(f"/citizens/{hoa.id}/consent").get_data(as_text=True)
    assert "070190001111" not in start and "+84912345678" not in start and "070******111" in start
    asked = client.post(f"/citizens/{hoa.id}/consent", data={"scope": "single_dossier", "method": "code"})
    confirm = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert "+84912345678" not in confirm and "+849*****678" in confirm
