"""Statistics (R-21): every column of seed 001 on a hand-built data set whose expected table is
written out below, agency scoping, bad periods, the API, the page with its chart, the XLSX export."""
from __future__ import annotations

import io
from datetime import datetime
from unittest import mock

import pytest
from openpyxl import load_workbook

from postal_gateway.accounts.models import Role
from postal_gateway.accounts.tokens import issue_token
from postal_gateway.core.domain import Forbidden, InvalidInput
from postal_gateway.core.formatting import VIETNAM
from postal_gateway.dossiers.models import DossierStatus as S
from postal_gateway.statistics.service import COUNT_KEYS, agency_statistics
from postal_gateway.workbench.models import SupplementRequest
from tests import factories
from tests.conftest import log_in

NOW = datetime(2026, 4, 10, 9, 0, tzinfo=VIETNAM)
PERIOD = {"date_from": "2026-03-01", "date_to": "2026-03-31"}


def at(month, day, hour=9, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=VIETNAM)


# name: (received, due, settled_at, given_back_at, status, supplement (requested, supplied) or None)
DOSSIERS_A = {
    "d1 settled before the period": (at(2, 10), at(2, 20), at(2, 18), None, S.returned, None),
    "d2 carried on time, settled on time": (at(2, 20), at(3, 5), at(3, 4), None, S.result_ready, None),
    "d3 carried late, settled late": (at(2, 15), at(2, 25), at(3, 10), None, S.returned, None),
    "d4 carried on time, still open, now late": (at(2, 25), at(3, 3), None, None, S.in_processing, None),
    "d5 received, settled on the due day before the due time": (at(3, 5), at(3, 12, 17), at(3, 12, 10), None, S.returned, None),
    "d6 received, open, due after the period": (at(3, 10), at(4, 5), None, None, S.in_processing, None),
    "d7 received, supplement still awaited": (at(3, 15), at(3, 25), None, None, S.supplement_requested, (at(3, 20), None)),
    "d8 received, supplement came back": (at(3, 16), at(4, 3), None, None, S.in_processing, (at(3, 18), at(3, 22))),
    "d9 received, rejected": (at(3, 20), at(3, 30), None, at(3, 25), S.rejected, None),
    "d10 withdrawn before the period": (at(2, 1), at(2, 10), None, at(2, 20), S.withdrawn, None),
    "d11 received on the last evening": (at(3, 31, 23), at(4, 10), None, None, S.received, None),
    "d12 received just after the period": (at(4, 1, 0, 30), at(4, 9), None, None, S.received, None),
    "d13 carried on time, settled after the period": (at(2, 27), at(3, 20), at(4, 2), None, S.result_ready, None),
    "d14 received, settled late": (at(3, 2), at(3, 10), at(3, 15), None, S.returned, None),
}

#: the table the data above must give, column by column (seed 001's order)
EXPECTED_A = {
    "carried_on_time": 3,       # d2, d4, d13
    "carried_late": 1,          # d3
    "carried_waiting": 0,
    "received": 7,              # d5, d6, d7, d8, d9, d11, d14
    "to_settle": 11,            # 3 + 1 + 7
    "settled_on_time": 2,       # d2, d5
    "settled_late": 2,          # d3, d14
    "on_time_pct": 50.0,        # 2 / (2 + 2)
    "in_progress_on_time": 3,   # d6, d8, d11
    "in_progress_late": 2,      # d4, d13
    "waiting_supplement": 1,    # d7
    "waiting_fee": 0,
    "waiting_citizen": 0,
    "waiting_other": 0,
    "returned": 1,              # d9
}
EXPECTED_B = {**{key: 0 for key in COUNT_KEYS}, "received": 1, "to_settle": 1, "settled_on_time": 1, "on_time_pct": 100.0}
EXPECTED_C = {**{key: 0 for key in COUNT_KEYS}, "on_time_pct": None}


@pytest.fixture()
def world(session):
    a = factories.agency(session, name="Sở Thông tin và Truyền thông")
    b = factories.agency(session, name="Sở Tư pháp")
    c = factories.agency(session, name="Sở Xây dựng")
    officer = factories.user(session, Role.agency_staff, agency=a)
    operator = factories.user(session, Role.operator)
    procedure_a, procedure_b = factories.procedure(session, a), factories.procedure(session, b)
    staff = factories.user(session, Role.postal_staff)
    for received, due, settled, given_back, status, supplement in DOSSIERS_A.values():
        row = factories.postal_dossier(session, procedure=procedure_a, staff=staff, entered_at=received, due_at=due,
                                       settled_at=settled, given_back_at=given_back, status=status)
        if supplement:
            session.add(SupplementRequest(dossier_id=row.id, requested_by_id=officer.id, requested_at=supplement[0],
                                          reasons=["x"], spent_seconds=0, remaining_seconds=0, previous_due_at=due,
                                          supplied_at=supplement[1]))
    factories.postal_dossier(session, procedure=procedure_b, staff=staff, entered_at=at(3, 3), due_at=at(3, 9),
                             settled_at=at(3, 5), status=S.result_ready)
    session.commit()
    return {"a": a, "b": b, "c": c, "officer": officer, "operator": operator}


def _table(report):
    return {row.agency_name: {**row.counts, "on_time_pct": row.on_time_pct} for row in report.rows}


def test_every_column_on_the_hand_built_data_set(session, world):
    report = agency_statistics(session, viewer=world["operator"], now=NOW, **PERIOD)
    assert _table(report) == {
        "Sở Thông tin và Truyền thông": EXPECTED_A,
        "Sở Tư pháp": EXPECTED_B,
        "Sở Xây dựng": EXPECTED_C,
    }
    assert [row.agency_name for row in report.rows] == ["Sở Thông tin và Truyền thông", "Sở Tư pháp", "Sở Xây dựng"]
    total = report.total
    assert total.counts["to_settle"] == 12 and total.counts["settled_on_time"] == 3 and total.on_time_pct == 60.0


def test_to_settle_is_accounted_for_by_the_outcome_columns(session, world):
    for row in agency_statistics(session, viewer=world["operator"], now=NOW, **PERIOD).rows:
        c = row.counts
        assert c["to_settle"] == c["carried_on_time"] + c["carried_late"] + c["carried_waiting"] + c["received"]
        assert c["to_settle"] == (c["settled_on_time"] + c["settled_late"] + c["in_progress_on_time"]
                                  + c["in_progress_late"] + c["waiting_supplement"] + c["waiting_fee"]
                                  + c["waiting_citizen"] + c["waiting_other"] + c["returned"])


def test_a_period_reaching_today_judges_open_dossiers_at_now(session, world):
    # Period 1 March .. 10 April, asked on 10 April at 08:59: d11 (due 10 April 09:00) is not late yet;
    # d6 (due 5 April), d8 (due 3 April) and d12 (due 9 April) are.
    report = agency_statistics(session, viewer=world["officer"], date_from="2026-03-01", date_to="2026-04-10",
                               now=at(4, 10, 8, 59))
    row = report.rows[0].counts
    assert report.cutoff == at(4, 10, 8, 59)
    # open at the cutoff: d4, d6, d8, d11, d12 in progress; d7 awaiting supplement; d13 settled 2 April.
    assert row["in_progress_late"] == 4           # d4, d6, d8, d12
    assert row["in_progress_on_time"] == 1        # d11
    assert row["received"] == 8                   # d12 is inside this period
    assert row["settled_late"] == 3               # d3, d14, d13


def test_agency_staff_see_only_their_own_agency(session, world):
    report = agency_statistics(session, viewer=world["officer"], now=NOW, **PERIOD)
    assert [row.agency_code for row in report.rows] == [world["a"].code]
    with pytest.raises(Forbidden):
        agency_statistics(session, viewer=world["officer"], agency_code=world["b"].code, now=NOW, **PERIOD)
    with pytest.raises(Forbidden):
        agency_statistics(session, viewer=world["officer"], agency_code="999.99.99.H99", now=NOW, **PERIOD)
    citizen = factories.user(session, Role.citizen)
    with pytest.raises(Forbidden):
        agency_statistics(session, viewer=citizen, now=NOW, **PERIOD)
    only_b = agency_statistics(session, viewer=world["operator"], agency_code=world["b"].code, now=NOW, **PERIOD)
    assert _table(only_b) == {"Sở Tư pháp": EXPECTED_B}


@pytest.mark.parametrize(("date_from", "date_to", "fields"), [
    ("2026-03-31", "2026-03-01", {"to"}),
    ("2026-03-01", "2026-04-11", {"to"}),
    ("01/03/2026", "2026-13-01", {"from", "to"}),
    ("1999-12-31", "2026-03-01", {"from", "to"}),
    ("2026-05-01", "2026-06-01", {"from", "to"}),
])
def test_bad_periods_name_every_faulty_field(session, world, date_from, date_to, fields):
    with pytest.raises(InvalidInput) as refused:
        agency_statistics(session, viewer=world["operator"], date_from=date_from, date_to=date_to, now=NOW)
    assert {item.field for item in refused.value.field_errors} == fields


def test_api_answers_the_table_and_refuses_another_agency(client, session, world):
    token, _ = issue_token(session, world["officer"])
    session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    with mock.patch("postal_gateway.statistics.controllers.utcnow", return_value=NOW):
        ok = client.get("/api/v1/statistics?from=2026-03-01&to=2026-03-31", headers=auth)
        assert ok.status_code == 200
        body = ok.get_json()
        assert body["agencies"] == [{"agency_code": world["a"].code, "agency_name": world["a"].name, **EXPECTED_A,
                                     "supplement_requested": EXPECTED_A["waiting_supplement"]}]
        assert body["columns"][0] == "carried_on_time" and body["total"]["to_settle"] == 11
        other = client.get(f"/api/v1/statistics?agency={world['b'].code}&from=2026-03-01&to=2026-03-31", headers=auth)
        assert other.status_code == 403 and "cơ quan mình" in other.get_json()["detail"]
        bad = client.get("/api/v1/statistics?from=2026-04-01&to=2026-03-01", headers=auth)
        assert bad.status_code in (400, 422) and bad.get_json()["errors"][0]["field"] == "to"
    assert client.get("/api/v1/statistics").status_code == 401


def test_page_shows_the_chart_and_table_and_exports_xlsx_with_vietnamese_headers(client, world):
    log_in(client, world["operator"])
    with mock.patch("postal_gateway.statistics.controllers.utcnow", return_value=NOW):
        page = client.get("/statistics?from=2026-03-01&to=2026-03-31")
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "<svg" in html and "Sở Tư pháp: 1 / 0" in html and "50,0%" in html
        assert "Kỳ trước chuyển sang" in html and "Tỷ lệ đúng hạn" in html
        bad = client.get("/statistics?from=2026-03-31&to=2026-03-01")
        assert bad.status_code == 422 and "Ngày kết thúc phải từ ngày bắt đầu trở đi." in bad.get_data(as_text=True)
        exported = client.get("/statistics.xlsx?from=2026-03-01&to=2026-03-31")
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2][:4] == ("Đơn vị", "Kỳ trước chuyển sang", None, None)
    assert rows[3][1:6] == ("Trong hạn", "Quá hạn", "Chờ bổ sung", None, None)
    assert rows[2][4] == "Tiếp nhận trong kỳ" and rows[2][5] == "Tổng số phải giải quyết"
    assert rows[2][11] == "Đang chờ" and rows[3][11:15][0] == "Chờ bổ sung" and rows[2][15] == "Trả lại"
    a_row = next(r for r in rows if r[0] == "Sở Thông tin và Truyền thông")
    assert list(a_row[1:]) == [3, 1, 0, 7, 11, 2, 2, 0.5, 3, 2, 1, 0, 0, 0, 1]
    assert rows[-2][0] == "Tổng cộng" and rows[-2][5] == 12
    assert rows[3][12:15] == ("Chờ nộp phí *", "Chờ công dân *", "Chờ lý do khác *")
    assert rows[-1][0].startswith("* Chưa có dữ liệu")
