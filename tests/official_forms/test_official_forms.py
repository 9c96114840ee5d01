"""The one-stop office's control sheet (form 05, Điều 9.2.a-b) and register book (form 06, Điều 9.3.c,
10.2.g): what each shows for a dossier with a known history, the register's numbering and period, who may
read them, exports safe against formula injection, and PDFs that carry their title and the dossier code."""
from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from postal_gateway.accounts.models import Role
from postal_gateway.core.formatting import VIETNAM
from postal_gateway.dossiers import workflow
from postal_gateway.dossiers.workflow import Action
from postal_gateway.official_forms import services
from postal_gateway.official_forms.services import (
    BEFORE,
    LATE,
    NO_DEADLINE,
    ON_TIME,
    Period,
)
from postal_gateway.workbench.models import ApologyLetter
from tests import factories
from tests.conftest import log_in


def local(*parts) -> datetime:
    return datetime(*parts, tzinfo=VIETNAM)


def pdf_text(content: bytes) -> tuple[str, PdfReader]:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages), reader


@pytest.fixture()
def world(session):
    agency = factories.agency(session, name="Sở Thông tin và Truyền thông Bình Phước")
    other = factories.agency(session, name="Sở Kế hoạch và Đầu tư")
    officer = factories.user(session, Role.agency_staff, agency=agency, full_name="Trần Thị Một Cửa")
    procedure = factories.procedure(session, agency, name="Cấp giấy phép bưu chính",
                                    processing_department="Phòng Bưu chính, Viễn thông")
    citizen = factories.user(session, Role.citizen, full_name="Nguyễn Văn An", address="12 Lê Lợi, Đồng Xoài",
                             phone="0912345678")
    received = local(2026, 3, 2, 9, 0)  # Monday
    dossier = factories.postal_dossier(
        session, citizen=citizen, procedure=procedure, agency=agency, entered_at=received,
        processing_start_at=local(2026, 3, 2, 9, 30), due_at=local(2026, 3, 9, 17, 0),
        appointment_date=date(2026, 3, 10),
    )
    session.flush()
    return {"agency": agency, "other": other, "officer": officer, "procedure": procedure, "citizen": citizen,
            "dossier": dossier}


def _walk(session, dossier, officer):
    """Transferred on time, result a day late, returned before the appointment day."""
    workflow.transition(session, dossier, Action.transfer, actor=officer, at=local(2026, 3, 2, 9, 20))
    workflow.transition(session, dossier, Action.start_processing, actor=officer, at=local(2026, 3, 2, 10, 0))
    workflow.transition(session, dossier, Action.mark_result_ready, actor=officer, at=local(2026, 3, 9, 17, 30))
    workflow.transition(session, dossier, Action.return_result, actor=officer, at=local(2026, 3, 9, 17, 45),
                        details={"via": "counter"})


def test_step_result_before_on_time_late__dieu_9_2_a():
    """Điều 9.2.a (form 05): done on an earlier day than the deadline is before time, by it on its day on
    time, after it late; no deadline shows a dash."""
    due = local(2026, 3, 9, 17, 0)
    assert services.step_result(local(2026, 3, 8, 17, 0), due) == BEFORE
    assert services.step_result(local(2026, 3, 9, 8, 0), due) == ON_TIME
    assert services.step_result(due, due) == ON_TIME
    assert services.step_result(local(2026, 3, 9, 17, 1), due) == LATE
    assert services.step_result(local(2026, 3, 9, 17, 1), None) == NO_DEADLINE


def test_control_sheet_has_a_line_per_hand_off_with_deadline_and_result__dieu_9_2_a(session, world):
    """Điều 9.2.a-b: the control sheet follows the dossier: received from the post, transferred to the
    processing department (on time), the result back to the one-stop office (late), returned (before time)."""
    dossier, officer = world["dossier"], world["officer"]
    _walk(session, dossier, officer)
    sheet = services.control_sheet(session, dossier)
    assert sheet.applicant == "Nguyễn Văn An"
    assert sheet.handling_body.endswith("Phòng Bưu chính, Viễn thông")
    assert sheet.cooperating == ""
    summary = [(line.giver.split(":")[0], line.receiver.split(" (")[0], line.result) for line in sheet.lines]
    assert summary == [
        ("Bưu điện", "Bộ phận Một cửa", NO_DEADLINE),
        ("Bộ phận Một cửa (Sở Thông tin và Truyền thông Bình Phước)", "Phòng Bưu chính, Viễn thông", ON_TIME),
        ("Phòng Bưu chính, Viễn thông", "Bộ phận Một cửa", LATE),
        ("Bộ phận Một cửa (Sở Thông tin và Truyền thông Bình Phước)", "Nguyễn Văn An", BEFORE),
    ]
    assert sheet.lines[1].due_at == local(2026, 3, 2, 9, 30) and sheet.lines[1].giver_person == "Trần Thị Một Cửa"
    assert sheet.lines[2].due_at == local(2026, 3, 9, 17, 0)


def test_control_sheet_pdf_is_a4_portrait_with_title_code_and_history__dieu_9_2_a(client, session, world):
    """Điều 9.2.a: form 05 as a PDF served to the agency's officer: its title, the code, each step's result."""
    dossier, officer = world["dossier"], world["officer"]
    _walk(session, dossier, officer)
    session.commit()
    log_in(client, officer)
    page = client.get(f"/workbench/{dossier.code}")
    assert f"/workbench/{dossier.code}/control-sheet.pdf" in page.get_data(as_text=True)
    response = client.get(f"/workbench/{dossier.code}/control-sheet.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text, reader = pdf_text(response.data)
    flat = " ".join(text.split())
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in flat
    assert dossier.code in flat.replace(" ", "") or dossier.code in flat
    for word in ("Nguyễn Văn An", "Đúng hạn", "Quá hạn", "Trước hạn", "Phòng Bưu chính, Viễn thông"):
        assert word in flat
    box = reader.pages[0].mediabox
    assert round(float(box.width)) == 595 and round(float(box.height)) == 842


def test_control_sheet_of_another_agency_is_not_found_operator_reads_it__dieu_9_2_b(client, session, world):
    """Điều 9.2.b: the sheet stays with the agency's one-stop office: another agency's officer gets 404 and a
    citizen 403; an operator reads it."""
    dossier = world["dossier"]
    stranger = factories.user(session, Role.agency_staff, agency=world["other"])
    operator = factories.user(session, Role.operator)
    session.commit()
    url = f"/workbench/{dossier.code}/control-sheet.pdf"
    log_in(client, stranger)
    assert client.get(url).status_code == 404
    client.post("/logout")
    log_in(client, world["citizen"])
    assert client.get(url).status_code == 403
    client.post("/logout")
    log_in(client, operator)
    assert client.get(url).status_code == 200


def test_register_numbers_per_agency_and_year_and_filters_the_period__dieu_9_3_c(session, world):
    """Điều 9.3.c, 10.2.g: the register numbers an agency's received dossiers from 1 each Vietnamese year, in
    received order, whatever period is shown; another agency's dossiers are neither listed nor counted."""
    agency, procedure = world["agency"], world["procedure"]
    moments = [local(2025, 12, 31, 23, 30), local(2026, 1, 1, 0, 30), local(2026, 1, 5, 8, 0), local(2026, 1, 20, 8, 0)]
    made = [factories.postal_dossier(session, procedure=procedure, agency=agency, entered_at=moment)
            for moment in moments]
    factories.postal_dossier(session, agency=world["other"], entered_at=local(2026, 1, 3, 8, 0))
    session.flush()
    whole = services.register(session, agency, Period(date(2025, 12, 1), date(2026, 1, 31)))
    assert [(row.code, row.year, row.number) for row in whole.rows] == [
        (made[0].code, 2025, 1), (made[1].code, 2026, 1), (made[2].code, 2026, 2), (made[3].code, 2026, 3)]
    later = services.register(session, agency, Period(date(2026, 1, 2), date(2026, 1, 31)))
    assert [(row.code, row.number) for row in later.rows] == [(made[2].code, 2), (made[3].code, 3)]
    assert services.register(session, agency, Period(date(2026, 2, 1), date(2026, 2, 28))).rows == []


def test_register_row_shows_receipt_transfer_result_return_and_notes__dieu_10_2_g(session, world):
    """Điều 10.2.g, 9.3.c: a row carries receipt, appointment (the first one when an apology moved it),
    transfer, result and return times, and the apology with its new date in the notes."""
    dossier, officer = world["dossier"], world["officer"]
    _walk(session, dossier, officer)
    session.add(ApologyLetter(dossier_id=dossier.id, number=1, issued_by_id=officer.id, issued_at=local(2026, 3, 9, 16),
                              reason="Chờ ý kiến liên thông", missed_due_at=dossier.due_at,
                              previous_appointment_date=date(2026, 3, 10), new_appointment_date=date(2026, 3, 12)))
    session.flush()
    [row] = services.register(session, world["agency"], Period(date(2026, 3, 1), date(2026, 3, 31))).rows
    assert row.applicant == "Nguyễn Văn An" and row.address_phone == "12 Lê Lợi, Đồng Xoài, 0912345678"
    assert row.received_at == local(2026, 3, 2, 9, 0) and row.transferred_at == local(2026, 3, 2, 9, 20)
    assert row.settled_at == local(2026, 3, 9, 17, 30) and row.returned_at == local(2026, 3, 9, 17, 45)
    assert row.first_appointment_date == date(2026, 3, 10)
    assert row.notes == ("Xin lỗi (số 1) 09/03/2026: Chờ ý kiến liên thông; hẹn lại 12/03/2026",)


def test_register_period_defaults_to_this_month_and_is_at_most_a_year__dieu_9_3_c():
    """Điều 9.3.c: the register is read per period: this month by default, at most one year at once."""
    today = date(2026, 5, 17)
    assert services.parse_period(None, None, today=today) == Period(date(2026, 5, 1), today)
    assert services.parse_period("2025-05-18", "2026-05-17", today=today).first == date(2025, 5, 18)
    with pytest.raises(services.InvalidInput) as refused:
        services.parse_period("2025-05-01", "2026-05-17", today=today)
    assert [item.field for item in refused.value.field_errors] == ["to"]
    with pytest.raises(services.InvalidInput) as refused:
        services.parse_period("nonsense", "2026-13-01", today=today)
    assert sorted(item.field for item in refused.value.field_errors) == ["from", "to"]


def test_register_page_own_agency_only_operator_chooses__dieu_10_2_g(client, session, world):
    """Điều 10.2.g: the one-stop office keeps its own register: its officer sees its dossiers and is refused
    another agency's; an operator picks the agency."""
    dossier = world["dossier"]
    operator = factories.user(session, Role.operator)
    session.commit()
    query = "from=2026-03-01&to=2026-03-31"
    log_in(client, world["officer"])
    page = client.get(f"/workbench/register?{query}")
    assert page.status_code == 200 and dossier.code in page.get_data(as_text=True)
    assert client.get(f"/workbench/register?{query}&agency={world['other'].code}").status_code == 403
    assert client.get("/workbench/register?from=2025-01-01&to=2026-03-31").status_code == 422
    client.post("/logout")
    log_in(client, operator)
    unchosen = client.get(f"/workbench/register?{query}")
    assert unchosen.status_code == 200 and dossier.code not in unchosen.get_data(as_text=True)
    assert client.get(f"/workbench/register.xlsx?{query}").status_code == 422
    chosen = client.get(f"/workbench/register?{query}&agency={world['agency'].code}")
    assert chosen.status_code == 200 and dossier.code in chosen.get_data(as_text=True)


def test_register_exports_are_safe_against_formula_injection__dieu_9_3_c(client, session, world):
    """Điều 9.3.c: the register's XLSX keeps a name or note such as "=HYPERLINK(...)" as text, never a formula."""
    citizen = factories.user(session, Role.citizen, full_name='=HYPERLINK("http://evil.example","Xem")',
                             address="+cmd|' /C calc'!A0")
    dossier = factories.postal_dossier(session, citizen=citizen, procedure=world["procedure"], agency=world["agency"],
                                       entered_at=local(2026, 3, 3, 10, 0))
    workflow.transition(session, dossier, Action.reject, actor=world["officer"], at=local(2026, 3, 3, 11, 0),
                        details={"reasons": ["@SUM(1+1)"]})
    session.commit()
    log_in(client, world["officer"])
    response = client.get("/workbench/register.xlsx?from=2026-03-01&to=2026-03-31")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(min_row=5, values_only=True))
    target = next(row for row in rows if row[1] == dossier.code)
    assert target[3] == "'" + citizen.full_name
    assert target[4].startswith("'+cmd")
    assert "@SUM(1+1)" in target[12]
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f"


def test_register_pdf_is_a4_landscape_with_title_and_codes__dieu_9_3_c(client, session, world):
    """Điều 9.3.c, 10.2.g: form 06 as a PDF on A4 landscape with its title, period and each dossier's code."""
    dossier = world["dossier"]
    _walk(session, dossier, world["officer"])
    session.commit()
    log_in(client, world["officer"])
    response = client.get("/workbench/register.pdf?from=2026-03-01&to=2026-03-31")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text, reader = pdf_text(response.data)
    flat = " ".join(text.split())
    assert "SỔ THEO DÕI HỒ SƠ" in flat and "Từ ngày 01/03/2026 đến ngày 31/03/2026" in flat
    assert dossier.code in flat.replace(" ", "")
    box = reader.pages[0].mediabox
    assert round(float(box.width)) == 842 and round(float(box.height)) == 595


def test_register_page_shows_its_first_rows_and_the_export_has_them_all__dieu_9_3_c(client, session, world,
                                                                                      monkeypatch):
    """Điều 9.3.c: a long period's page lists its first dossiers and says so; the export carries every one."""
    monkeypatch.setattr("postal_gateway.official_forms.controllers.PAGE_ROWS", 2)
    made = [factories.postal_dossier(session, procedure=world["procedure"], agency=world["agency"],
                                     entered_at=local(2026, 3, 3, 8 + hour)) for hour in range(3)]
    session.commit()
    log_in(client, world["officer"])
    page = client.get("/workbench/register?from=2026-03-01&to=2026-03-31").get_data(as_text=True)
    assert made[0].code in page and made[2].code not in page and "2 hồ sơ đầu tiên" in page
    sheet = load_workbook(io.BytesIO(client.get("/workbench/register.xlsx?from=2026-03-01&to=2026-03-31").data)).active
    codes = [row[1] for row in sheet.iter_rows(min_row=5, values_only=True)]
    assert codes == [world["dossier"].code, *(dossier.code for dossier in made)]
    assert [row[0] for row in sheet.iter_rows(min_row=5, values_only=True)] == [1, 2, 3, 4]
