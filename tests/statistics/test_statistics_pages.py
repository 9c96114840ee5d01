"""The statistics page, its XLSX export and the API carry both tables: seed 001's (with the columns that have no
data marked) and "Tiếp nhận qua bưu chính"; the old JSON key of the supplement column still answers; the page
reads on a 360 px phone."""
from __future__ import annotations

import io
from datetime import timedelta
from unittest import mock

import pytest
from openpyxl import load_workbook

from postal_gateway.accounts.models import Role
from postal_gateway.accounts.tokens import issue_token
from postal_gateway.core.db import utcnow
from postal_gateway.core.formatting import to_local
from postal_gateway.dossiers.models import DossierStatus as S
from tests import factories
from tests.accessibility import assert_accessible
from tests.conftest import log_in, log_in_on_page, save_screenshot
from tests.statistics.test_statistics_columns import NOW, World, at

MARCH = "from=2026-03-01&to=2026-03-31"


@pytest.fixture()
def world(session):
    agency = factories.agency(session, name="Sở Kế Hoạch và Đầu Tư")
    built = World(session, agency, factories.procedure(session, agency),
                  factories.user(session, Role.agency_staff, agency=agency),
                  factories.user(session, Role.postal_staff), factories.user(session, Role.citizen))
    built.dossier(received=at(2, 10), due=at(2, 26), status=S.supplement_requested,
                  supplements=[(at(2, 20), None, at(2, 26), None)])                   # carried waiting, waiting
    built.submission(submitted=at(3, 2, 8), history=[(S.received, at(3, 2, 10))], received=at(3, 2, 10))
    built.submission(submitted=at(3, 3), history=[(S.refused, at(3, 4))])
    built.submission(submitted=at(3, 20), history=[(S.completion_requested, at(3, 21))])
    built.submission(submitted=at(3, 30))
    session.commit()
    return built


def test_statistics_api_answers_both_tables_and_the_old_key__seed001(client, session, world):
    """Seed 001's columns in order, the no-data columns named, supplement_requested kept as an alias of
    waiting_supplement, and the reception table (Điều 21.1, 12.1)."""
    token, _ = issue_token(session, world.officer)
    session.commit()
    with mock.patch("postal_gateway.statistics.controllers.utcnow", return_value=NOW):
        body = client.get(f"/api/v1/statistics?{MARCH}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["columns"][:4] == ["carried_on_time", "carried_late", "carried_waiting", "received"]
    assert body["columns"][-5:] == ["waiting_supplement", "waiting_fee", "waiting_citizen", "waiting_other",
                                    "returned"]
    assert body["no_data"] == ["waiting_fee", "waiting_citizen", "waiting_other"]
    (row,) = body["agencies"]
    assert (row["carried_waiting"], row["received"], row["waiting_supplement"]) == (1, 1, 1)
    assert row["supplement_requested"] == row["waiting_supplement"]
    assert body["reception_columns"][0] == "submitted"
    (reception,) = body["reception"]
    assert reception == {"agency_code": world.agency.code, "agency_name": world.agency.name, "submitted": 4,
                         "accepted": 1, "sent_back": 1, "refused": 1, "awaiting_acceptance": 1,
                         "median_working_hours": 2.0, "apologies_processing_agency": 0,
                         "apologies_cooperating_agency": 0, "apologies_one_stop_office": 0,
                         "reception_error_supplements": 0}
    assert body["reception_total"]["submitted"] == 4 and body["reception_total"]["agency_name"] == "Tổng cộng"


def test_statistics_page_and_xlsx_show_the_reception_table_and_mark_columns_without_data__seed001(client, world):
    log_in(client, world.officer)
    with mock.patch("postal_gateway.statistics.controllers.utcnow", return_value=NOW):
        html = client.get(f"/statistics?{MARCH}").get_data(as_text=True)
        exported = client.get(f"/statistics.xlsx?{MARCH}")
    assert "Tiếp nhận qua bưu chính" in html and "Chờ tiếp nhận cuối kỳ" in html
    assert html.count('<sup class="no-data"') == 3 and "Chưa có dữ liệu: cột này luôn bằng 0" in html
    assert "2,0</td>" in html                                                          # the median, Vietnamese
    book = load_workbook(io.BytesIO(exported.data))
    assert book.sheetnames == ["Thong ke", "Tiep nhan qua buu chinh"]
    rows = list(book["Tiep nhan qua buu chinh"].iter_rows(values_only=True))
    assert rows[0][0] == "Tiếp nhận qua bưu chính"
    assert rows[2] == ("Đơn vị", "Bưu chính nộp", "Đã tiếp nhận", "Yêu cầu bổ sung, hoàn thiện", "Từ chối tiếp nhận",
                       "Chờ tiếp nhận cuối kỳ", "Thời gian chờ tiếp nhận (trung vị, giờ làm việc)",
                       "Xin lỗi, hẹn lại: cơ quan giải quyết", "Xin lỗi, hẹn lại: cơ quan phối hợp",
                       "Xin lỗi, hẹn lại: Bộ phận Một cửa", "Bổ sung lần 2 do lỗi tiếp nhận")
    assert rows[3] == ("Sở Kế Hoạch và Đầu Tư", 4, 1, 1, 1, 1, 2.0, 0, 0, 0, 0)
    assert rows[4] == ("Tổng cộng", 4, 1, 1, 1, 1, 2.0, 0, 0, 0, 0)


def test_statistics_page_reads_on_a_360_px_phone__seed001(session, live_server, phone):
    """Both tables scroll inside their cards; the page itself never scrolls sideways."""
    agency = factories.agency(session, name="Sở Kế Hoạch và Đầu Tư tỉnh Bình Phước")
    built = World(session, agency, factories.procedure(session, agency),
                  factories.user(session, Role.agency_staff, agency=agency),
                  factories.user(session, Role.postal_staff), factories.user(session, Role.citizen))
    now = utcnow()
    built.dossier(received=now - timedelta(days=3), due=now + timedelta(days=3))
    built.submission(submitted=now - timedelta(days=2))
    session.commit()
    log_in_on_page(phone, live_server, built.officer)
    phone.goto(f"{live_server}/statistics?from={to_local(now - timedelta(days=5)).date().isoformat()}")
    content = phone.content()
    assert "Tiếp nhận qua bưu chính" in content and "Chờ lý do khác" in content
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    save_screenshot(phone, "statistics-two-tables")
    assert_accessible(phone)


def test_the_page_says_how_each_column_is_counted_instead_of_pointing_at_a_file(client, session):
    """People read the definitions where the figures are, not in a repository document."""
    from postal_gateway.accounts.models import Role
    from postal_gateway.statistics.service import COLUMN_DEFINITIONS, COLUMNS
    from tests import factories
    from tests.conftest import log_in

    agency = factories.agency(session)
    officer = factories.user(session, Role.agency_staff, agency=agency)
    session.commit()
    log_in(client, officer)
    html = client.get("/statistics").get_data(as_text=True)
    assert "docs/statistics.md" not in html
    assert "Cách tính từng cột" in html
    assert [key for key, _ in COLUMN_DEFINITIONS] == [key for key, _g, _c in COLUMNS]
    assert "Đúng hạn chia cho tổng số đã giải quyết trong kỳ." in html
