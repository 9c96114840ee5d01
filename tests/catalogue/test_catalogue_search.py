"""Searching the catalogue (with and without diacritics), the public pages and the public API."""
from __future__ import annotations

import pytest

from postal_gateway.catalogue.demo_data import load_demo_catalogue
from postal_gateway.catalogue.models import ProcedureField
from postal_gateway.catalogue.services import (
    get_agency,
    get_procedure,
    group_by_field,
    postal_procedures_for_intake,
    search_procedures,
)
from postal_gateway.catalogue.text import fold
from postal_gateway.core.domain import InvalidInput, NotFound


@pytest.fixture()
def demo(session):
    load_demo_catalogue(session)
    session.commit()


def _codes(result) -> set[str]:
    return {row.code for row in result.items}


def test_fold_strips_vietnamese_diacritics_and_d_stroke():
    assert fold("  Cấp GIẤY  phép Bưu chính ") == "cap giay phep buu chinh"
    assert fold("Đăng ký hoạt động") == "dang ky hoat dong"
    assert fold("Sửa đổi, bổ sung") == "sua doi, bo sung"


@pytest.mark.parametrize("query", ["giấy phép bưu chính nội tỉnh", "giay phep buu chinh noi tinh", "GIAY PHEP BƯU CHÍNH NỘI TỈNH"])
def test_search_finds_the_same_with_or_without_diacritics(session, demo, query):
    assert _codes(search_procedures(session, q=query)) == {"T-BPC-281520-TT"}


def test_search_matches_words_in_any_order_and_the_code(session, demo):
    assert len(search_procedures(session, q="cap giay phep buu chinh").items) == 3
    assert _codes(search_procedures(session, q="buu chinh cap lai giay phep")) == {"T-BPC-281523-TT", "T-BPC-281524-TT"}
    assert _codes(search_procedures(session, q="281506")) == {"T-BPC-281506-TT"}
    assert _codes(search_procedures(session, q="t-bpc-281520")) == {"T-BPC-281520-TT"}
    assert _codes(search_procedures(session, q="dang ky")) >= {"T-BPC-281510-TT", "T-BPC-281515-TT"}
    assert search_procedures(session, q="100%_").total == 0  # wildcards are literal


def test_filters_and_pagination(session, demo):
    assert search_procedures(session).total == 35
    assert search_procedures(session, field="postal").total == 6
    assert search_procedures(session, field="Bưu chính").total == 6
    assert search_procedures(session, level=3).total == 0
    assert search_procedures(session, level="4").total == 35
    assert search_procedures(session, administrative_level="province").total == 35
    assert search_procedures(session, postal_only=True).total == 33
    first = search_procedures(session, limit=10, offset=0)
    last = search_procedures(session, limit=10, offset=30)
    assert len(first.items) == 10 and len(last.items) == 5 and first.total == 35
    # published order: press, broadcasting, publishing, postal; then code
    fields = [row.field for row in search_procedures(session, limit=200).items]
    assert fields == sorted(fields, key=list(ProcedureField).index)
    groups = group_by_field(search_procedures(session, limit=200).items)
    assert [field for field, _rows in groups] == list(ProcedureField)


def test_every_bad_filter_is_named_at_once(session):
    with pytest.raises(InvalidInput) as raised:
        search_procedures(session, field="sport", level=5, limit=0, offset=-1, administrative_level="x", q="a" * 201)
    assert {error.field for error in raised.value.field_errors} == {
        "field", "level", "limit", "offset", "administrative_level", "q",
    }


def test_lookups(session, demo):
    assert get_procedure(session, " t-bpc- 281520-tt ").name == "Cấp giấy phép bưu chính (Phạm vi nội tỉnh)"
    with pytest.raises(NotFound):
        get_procedure(session, "T-BPC-000000-TT")
    assert get_agency(session, "000.00.20.h10").one_stop_phone == "0271.3888 207"
    with pytest.raises(NotFound):
        get_agency(session, "999.99.99.Z99")
    offered = postal_procedures_for_intake(session)
    assert len(offered) == 33 and all(row.postal_eligible for row in offered)


# --- pages ----------------------------------------------------------------------------------------


def test_public_list_page_groups_by_field_and_shows_fees_and_times(client, demo):
    response = client.get("/procedures")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    for heading in ("Danh mục thủ tục hành chính", "Báo chí", "Phát thanh, truyền hình và thông tin điện tử",
                    "Xuất bản, in và phát hành", "Bưu chính"):
        assert heading in text
    assert "Không thu phí" in text and "200.000 ₫" in text
    assert "10 ngày làm việc" in text and "Mức độ 4" in text
    assert "Không nhận qua bưu chính" in text
    assert "/procedures/not-by-post" in text


def test_public_list_page_searches_without_diacritics(client, demo):
    text = client.get("/procedures?q=thong+cao+bao+chi").get_data(as_text=True)
    assert "Phát hành thông cáo báo chí" in text
    assert "Cấp giấy phép bưu chính" not in text
    filtered = client.get("/procedures?field=postal&postal=1").get_data(as_text=True)
    assert "Cấp giấy phép bưu chính" in filtered and "Cho phép hợp báo" not in filtered
    nothing = client.get("/procedures?q=khong+co+thu+tuc+nay")
    assert nothing.status_code == 200 and "Không tìm thấy thủ tục phù hợp" in nothing.get_data(as_text=True)


def test_bad_filters_on_the_page_are_explained_not_crashed(client, demo):
    response = client.get("/procedures?level=9&field=x&offset=abc")
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Mức độ phải là 3 hoặc 4." in text and "Lĩnh vực không hợp lệ" in text and "offset" in text


def test_detail_page_shows_the_checklist(client, demo):
    response = client.get("/procedures/T-BPC-281525-TT")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Cấp văn bản xác nhận thông báo hoạt động bưu chính" in text
    assert "Thành phần hồ sơ" in text and "Đơn đề nghị" in text
    assert "Phòng Bưu chính – Viễn thông" in text and "0271.3888 207" in text
    assert "Dữ liệu minh họa" in text
    missing = client.get("/procedures/KHONG-CO")
    assert missing.status_code == 404 and "Không tìm thấy" in missing.get_data(as_text=True)


def test_not_by_post_page_lists_reasons(client, demo):
    response = client.get("/procedures/not-by-post")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Cấp giấy phép hoạt động in xuất bản phẩm" in text
    assert "kiểm tra thực tế" in text
    assert "Cấp giấy phép bưu chính" not in text


def test_not_by_post_page_when_every_procedure_is_accepted(client):
    response = client.get("/procedures/not-by-post")
    assert response.status_code == 200
    assert "Hiện tất cả thủ tục đều có thể nhận qua bưu chính." in response.get_data(as_text=True)


# --- API ------------------------------------------------------------------------------------------


def test_api_lists_without_authentication(client, demo):
    response = client.get("/api/v1/procedures?q=cap+lai+giay+phep+buu+chinh&postal=true&limit=1")
    body = response.get_json()
    assert response.status_code == 200
    assert body["total"] == 2 and body["limit"] == 1 and body["offset"] == 0
    (item,) = body["items"]
    assert item["code"] == "T-BPC-281523-TT"
    assert item["field"] == "postal" and item["level"] == 4
    assert item["processing_days"] == 10 and item["fee_vnd"] == 100_000
    assert item["postal_eligible"] is True and item["needs_review"] is True
    assert item["agency_code"] == "000.00.20.H10"


def test_api_filters_by_every_documented_value(client, demo):
    by_field = client.get("/api/v1/procedures?field=postal&level=4&administrative_level=province&limit=200")
    assert by_field.status_code == 200
    items = by_field.get_json()["items"]
    assert items and {(item["field"], item["level"], item["administrative_level"]) for item in items} == {
        ("postal", 4, "province")}
    assert client.get("/api/v1/procedures?administrative_level=commune").get_json()["items"] == []


def test_api_bad_parameters_are_problem_json_naming_each(client, demo):
    response = client.get("/api/v1/procedures?limit=abc&offset=-3&level=2&field=sport&postal=perhaps")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    fields = {error["field"] for error in response.get_json()["errors"]}
    assert fields == {"limit", "offset", "level", "field", "postal"}
    too_many = client.get("/api/v1/procedures?limit=1000")
    assert too_many.status_code == 422


def test_api_procedure_and_agency(client, demo):
    procedure = client.get("/api/v1/procedures/T-BPC-281503-TT").get_json()
    assert procedure["postal_eligible"] is False and procedure["postal_exclusion_reason"]
    assert [item["position"] for item in procedure["checklist"]] == list(range(1, len(procedure["checklist"]) + 1))
    missing = client.get("/api/v1/procedures/NOPE")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    agency = client.get("/api/v1/agencies/000.00.20.H10").get_json()
    assert agency["one_stop_phone"] == "0271.3888 207"
    assert agency["inspection_team_email"] == "BP-congdanvacongvu@binhphuoc.gov.vn"
    assert client.get("/api/v1/agencies/000.00.99.H10").status_code == 404


def test_control_characters_in_input_never_reach_the_database(client, demo):
    assert client.get("/api/v1/procedures?q=buu%00chinh").status_code == 200
    assert client.get("/api/v1/procedures/T-BPC-281520%00-TT").status_code == 200
    assert client.get("/api/v1/agencies/000.00.20.H10%00").status_code == 200
    assert client.get("/procedures?q=%00").status_code == 200
