"""Contracts pages, the public page (R-18), the quote API, cash pages and the intake quote."""
from __future__ import annotations

import io
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

import contracts.controllers as contracts_views
from contracts.demo import DEMO_CONTRACT_NUMBER, load_demo_contracts
from contracts.models import CashShift, Contract, Remittance, ShiftStatus
from postal_gateway.accounts.models import Role
from postal_gateway.accounts.tokens import issue_token
from postal_gateway.catalogue.demo_data import load_demo_catalogue
from postal_gateway.dossiers.models import PaymentKind
from tests import factories
from tests.conftest import log_in


@pytest.fixture()
def demo(session):
    load_demo_catalogue(session)
    lines = load_demo_contracts(session)
    assert load_demo_contracts(session) == [f"contract {DEMO_CONTRACT_NUMBER}: already loaded"]
    from postal_gateway.catalogue.models import PostOffice, Procedure

    office = session.scalars(select(PostOffice).where(PostOffice.code == "830000")).one()
    procedure = session.scalars(
        select(Procedure).where(Procedure.postal_eligible.is_(True), Procedure.fee_vnd > 0).order_by(Procedure.code)
    ).first()
    operator = factories.user(session, Role.operator)
    worker = factories.user(session, Role.postal_staff, post_office_id=office.id)
    cashier = factories.user(session, Role.postal_staff, post_office_id=office.id)
    session.commit()
    return {"office": office, "procedure": procedure, "operator": operator, "worker": worker,
            "cashier": cashier, "lines": lines}


def test_demo_contract_is_loaded_once(session, demo):
    assert session.scalar(select(func.count()).select_from(Contract)) == 1
    assert "Bưu điện tỉnh Bình Phước" in demo["lines"][0]


def test_public_page_lists_fees_postage_and_trip_times(client, demo):
    page = client.get("/postage")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert DEMO_CONTRACT_NUMBER in text and "Bưu điện tỉnh Bình Phước" in text
    assert "15.000" in text and "Phụ thu" in text and demo["procedure"].name in text
    assert "Thông tư 14/2018/TT-BTTTT" in text


def test_public_quote_form(client, demo):
    ok = client.get("/postage", query_string={"procedure_code": demo["procedure"].code, "post_office_code": "830000",
                                              "delivery_address": "huyện Bù Đăng, Bình Phước", "weight_grams": "100"})
    assert ok.status_code == 200 and "Bảng tính cước" in ok.get_data(as_text=True)
    # every commune that replaced old Bù Đăng is in the province and none is remote: quoted; old Lộc Ninh's
    # communes include two on the demo's remote list, so the page asks which
    asks = client.get("/postage", query_string={"procedure_code": demo["procedure"].code, "post_office_code": "830000",
                                                "delivery_address": "huyện Lộc Ninh, Bình Phước"})
    assert asks.status_code == 422 and "Xã Lộc Tấn" in asks.get_data(as_text=True)
    bad = client.get("/postage", query_string={"procedure_code": "T-KHONG-CO", "weight_grams": "nặng"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and text.count('class="field-error"') >= 2


def test_quote_api(client, session, demo):
    token, _ = issue_token(session, demo["worker"])
    session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    response = client.post("/api/v1/quotes", headers=auth, json={
        "procedure_code": demo["procedure"].code, "pickup_address": "ấp 3, xã Lộc Hưng, huyện Lộc Ninh, Bình Phước",
        "delivery_address": "Quận 1, TP HCM", "weight_grams": 400, "fee_collected_on_behalf": True,
    })
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["forward_zone"], body["return_zone"]) == ("same_province", "other_province")
    assert body["total_vnd"] == sum(line["amount_vnd"] for line in body["lines"])
    assert body["full_trip_hours"] == {"forward": 48, "return": 96}
    bad = client.post("/api/v1/quotes", headers=auth, json={"procedure_code": 7, "weight_grams": 1.5,
                                                           "pickup_address": ["x"]})
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert {e["field"] for e in bad.get_json()["errors"]} >= {"procedure_code", "weight_grams", "pickup_address"}
    for garbage in (b"[]", b"not json", b'"x"', b"null"):
        assert client.post("/api/v1/quotes", headers={**auth, "Content-Type": "application/json"},
                           data=garbage).status_code == 422
    assert client.post("/api/v1/quotes", json={}).status_code == 401


def test_operator_sees_the_demo_contract(client, demo):
    log_in(client, demo["operator"])
    listing = client.get("/contracts").get_data(as_text=True)
    assert DEMO_CONTRACT_NUMBER in listing
    contract_id = re.search(r"/contracts/(\d+)", listing).group(1)
    detail = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "Điều 25.2" in detail and "Đang hiệu lực" in detail
    assert client.get("/contracts/999999").status_code == 404
    assert client.get("/contracts/limits").status_code == 200
    refused = client.post("/contracts/limits", data={"leg": "x", "zone": "y", "max_hours": "-3", "legal_source": ""})
    assert refused.status_code == 422 and refused.get_data(as_text=True).count('class="field-error"') == 4
    saved = client.post("/contracts/limits", data={"leg": "forward", "zone": "other_province", "max_hours": "100",
                                                   "legal_source": "Thông tư 14/2018/TT-BTTTT"})
    assert saved.status_code == 302


def test_import_page_reports_bad_rows(client, session, demo):
    log_in(client, demo["operator"])
    response = client.post("/contracts/import", data={
        "tariff_file": (io.BytesIO(b"contract_number,zone,max_grams,price_vnd,valid_from\nX,moon,1,-1,2030-01-01\n"), "cuoc.csv"),
    }, content_type="multipart/form-data")
    assert response.status_code == 422 and "cuoc.csv" in response.get_data(as_text=True)
    assert client.post("/contracts/import", data={}, content_type="multipart/form-data").status_code == 422


def test_pages_are_guarded(client, demo):
    assert client.get("/contracts").status_code == 302  # to the login page
    log_in(client, demo["worker"])
    assert client.get("/contracts").status_code == 403
    assert client.get("/contracts/import").status_code == 403


def test_cash_day_through_the_pages(client, session, demo):
    log_in(client, demo["worker"])
    assert client.post("/cash/open").status_code == 302
    assert client.post("/cash/open").status_code == 409
    shift = session.scalars(select(CashShift)).one()
    citizen = factories.user(session)
    dossier = factories.dossier(session, demo["procedure"].agency, demo["procedure"], citizen, post_office_id=demo["office"].id)
    factories.amount_collected(session, dossier, PaymentKind.postage, 22_000, by=demo["worker"], at=shift.opened_at)
    session.commit()
    assert "22.000" in client.get("/cash").get_data(as_text=True)
    assert client.post("/cash/close").status_code == 302
    client.post("/logout")

    log_in(client, demo["cashier"])
    assert demo["worker"].full_name in client.get("/cash/remittances").get_data(as_text=True)
    refused = client.post(f"/cash/shifts/{shift.id}/remit", data={"fee_vnd": "0", "postage_vnd": "20000", "handed_vnd": "22000"})
    assert refused.status_code == 422
    short = client.post(f"/cash/shifts/{shift.id}/remit", data={"fee_vnd": "0", "postage_vnd": "20000", "handed_vnd": "20000"})
    assert short.status_code == 422 and "lý do" in short.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Remittance)) == 0
    done = client.post(f"/cash/shifts/{shift.id}/remit",
                       data={"fee_vnd": "0", "postage_vnd": "20000", "handed_vnd": "20000", "reason": "Thiếu tiền lẻ"})
    assert done.status_code == 302
    session.expire_all()
    assert session.get(CashShift, shift.id).status is ShiftStatus.remitted
    assert client.get("/cash/shifts/999999").status_code == 404


def test_fee_statement_page_and_csv(client, session, demo):
    log_in(client, demo["operator"])
    page = client.get("/cash/statement", query_string={"agency": "000.00.20.H10", "start": "2026-01-01", "end": "2026-12-31"})
    assert page.status_code == 200
    csv = client.get("/cash/statement", query_string={"agency": "000.00.20.H10", "start": "01/01/2026",
                                                      "end": "31/12/2026", "format": "csv"})
    assert csv.mimetype == "text/csv" and csv.get_data(as_text=True).startswith("dossier_code")
    bad = client.get("/cash/statement", query_string={"agency": "nope", "start": "hôm qua", "end": "2026-13-01"})
    assert bad.status_code == 422


def test_intake_collection_step_shows_the_quote(client, session, demo):
    from tests.dossiers.test_intake_wizard import open_wizard, png_bytes

    citizen = factories.user(session, Role.citizen)
    factories.consent(session, citizen, demo["worker"], now=datetime(2020, 1, 1, tzinfo=timezone.utc),
                      valid_until=datetime(2099, 1, 1, tzinfo=timezone.utc))
    session.commit()
    log_in(client, demo["worker"])
    procedure = demo["procedure"]
    wizard = open_wizard(client, {"citizen": citizen, "procedure": procedure})
    items = [item.id for item in procedure.checklist]
    assert client.post(f"/intake/{wizard}/checklist", data={"item": items}).status_code == 302
    scans = {f"scan_{item}": (io.BytesIO(png_bytes()), f"{item}.png") for item in items}
    assert client.post(f"/intake/{wizard}/scans", data=scans, content_type="multipart/form-data").status_code == 302
    page = client.get(f"/intake/{wizard}/collection").get_data(as_text=True)
    assert "Bảng tính cước" in page
    assert 'name="postage_vnd" value="33000"' in page  # same district, 500 g: (15 000 + 15 000) + 10 % VAT
    recalculated = client.post(f"/intake/{wizard}/collection", data={
        "action": "quote", "collection_place": "citizen_address", "pickup_address": "Quận 1, TP HCM",
        "fee_method": "cash", "postage_vnd": "22000", "postage_method": "cash"})
    assert recalculated.status_code == 302
    page = client.get(f"/intake/{wizard}/collection").get_data(as_text=True)
    assert "Phụ thu nhận hồ sơ tại nhà" in page
    unplaced = client.post(f"/intake/{wizard}/collection", data={
        "action": "quote", "collection_place": "citizen_address", "pickup_address": "không rõ",
        "fee_method": "cash"})
    assert unplaced.status_code == 302
    assert "Chưa tính được cước" in client.get(f"/intake/{wizard}/collection").get_data(as_text=True)


def test_fee_statement_runs_to_the_vietnamese_day_by_default(client, session, demo, monkeypatch):
    """At 01:30 on 1 April in Hà Nội it is still 31 March in UTC: the default period ends on 1 April."""
    monkeypatch.setattr(contracts_views, "utcnow", lambda: datetime(2026, 3, 31, 18, 30, tzinfo=timezone.utc))
    log_in(client, demo["operator"])
    page = client.get("/cash/statement", query_string={"agency": "000.00.20.H10"}).get_data(as_text=True)
    assert 'name="end" type="date" value="2026-04-01"' in page
    assert 'name="start" type="date" value="2026-04-01"' in page


def test_limits_form_names_a_non_number_in_vietnamese(client, demo):
    log_in(client, demo["operator"])
    refused = client.post("/contracts/limits", data={"leg": "forward", "zone": "same_commune", "max_hours": "ba mươi",
                                                     "legal_source": "Thông tư 14/2018/TT-BTTTT"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and page.count('class="field-error"') == 1
    assert "Số giờ phải là số nguyên từ 1 đến 1440." in page and 'value="ba mươi"' in page
    assert "Not a valid" not in page


def test_quote_api_reads_a_weight_sent_as_digits_and_refuses_an_unknown_type(client, session, demo):
    token, _ = issue_token(session, demo["worker"])
    session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    body = {"procedure_code": demo["procedure"].code, "post_office_code": demo["office"].code}
    as_digits = client.post("/api/v1/quotes", headers=auth, json={**body, "weight_grams": "400"})
    assert as_digits.status_code == 200 and as_digits.get_json()["weight_grams"] == 400
    refused = client.post("/api/v1/quotes", headers=auth, json={**body, "fee_collected_on_behalf": "yes"})
    assert refused.status_code == 422 and [e["field"] for e in refused.get_json()["errors"]] == ["fee_collected_on_behalf"]


def test_remitting_an_open_shift_is_a_conflict_before_any_amount_is_read(client, session, demo):
    log_in(client, demo["worker"])
    assert client.post("/cash/open").status_code == 302
    client.post("/logout")
    shift = session.scalars(select(CashShift)).one()
    log_in(client, demo["cashier"])
    assert client.post(f"/cash/shifts/{shift.id}/remit", data={"fee_vnd": "abc"}).status_code == 409


def test_statement_names_an_end_before_its_start(client, demo):
    log_in(client, demo["operator"])
    bad = client.get("/cash/statement", query_string={"start": "2026-03-10", "end": "01/03/2026"})
    assert bad.status_code == 422 and "Ngày kết thúc phải sau ngày bắt đầu." in bad.get_data(as_text=True)
    assert client.get("/cash/statement", query_string={"start": "", "end": ""}).status_code == 200


def test_demo_quotes_on_the_new_map_differ_by_zone(session, demo):
    """The demo contract (Bình Phước catalogue, now Đồng Nai) on the two-level map: the same commune as the agency
    (old phường Tân Phú, now Phường Bình Phước), another province in 2026 form, and a remote commune."""
    from contracts.quotes import quote

    at = datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc)
    code = demo["procedure"].code
    same = quote(session, procedure_code=code, pickup_address="Số 9, phường Bình Phước, tỉnh Đồng Nai",
                 delivery_address="Số 9, phường Bình Phước, tỉnh Đồng Nai", weight_grams=400, at=at)
    other = quote(session, procedure_code=code, pickup_address="Số 9, phường Bình Phước, tỉnh Đồng Nai",
                  delivery_address="12 Lê Lợi, Phường Bến Thành, Thành phố Hồ Chí Minh", weight_grams=400, at=at)
    remote = quote(session, procedure_code=code, pickup_address="Số 9, phường Bình Phước, tỉnh Đồng Nai",
                   delivery_address="Thôn 2, xã Đăk Ơ, Đồng Nai", weight_grams=400, at=at)
    assert (same.forward_zone.value, same.return_zone.value) == ("same_commune", "same_commune")
    assert other.return_zone.value == "other_province" and other.return_trip_hours == 96
    assert other.postage_total_vnd > same.postage_total_vnd
    # 500 g bands: same commune 15 000 + 15 000, other province 15 000 + 25 000; + 10 000 pickup/delivery each, + VAT
    assert same.postage_total_vnd == (15_000 + 15_000 + 10_000 + 10_000) * 11 // 10
    assert other.postage_total_vnd == (15_000 + 25_000 + 10_000 + 10_000) * 11 // 10
    assert remote.return_zone.value == "remote" and remote.return_remote.name.startswith("Biên giới")
    assert remote.return_trip_hours == 72 and remote.postage_total_vnd == (15_000 + 18_000 + 20_000) * 11 // 10
    assert other.delivery_label == "Phường Bến Thành, Thành phố Hồ Chí Minh"


def test_public_page_shows_the_new_zones_and_the_remote_list(client, demo):
    text = client.get("/postage").get_data(as_text=True)
    assert "Cùng xã/phường" in text and "Cùng tỉnh" in text and "Khác tỉnh" in text
    assert "Vùng sâu, vùng xa: Biên giới Bù Gia Mập, Lộc Ninh (minh họa) (4 xã/phường)" in text
    assert "huyện" not in text.split("<main")[1].lower().replace("cùng huyện (trước", "")
