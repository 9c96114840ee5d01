"""Importing procedures from CSV and XLSX: all rows or none, every bad row named."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from postal_gateway.accounts.models import Role
from postal_gateway.catalogue.commands import catalogue_commands
from postal_gateway.catalogue.importer import import_procedures
from postal_gateway.catalogue.models import Procedure
from tests import factories
from tests.conftest import log_in

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
HEADER = ["code", "name", "field", "agency_code", "level", "processing_days", "fee_vnd",
          "postal_eligible", "postal_exclusion_reason", "processing_department", "checklist"]


def _csv(*rows: list) -> bytes:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _xlsx(*rows: list, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture()
def agency(session):
    row = factories.agency(session, code="000.00.20.H10")
    session.commit()
    return row


def _count(session) -> int:
    return session.scalar(select(func.count(Procedure.id)))


def _errors(report) -> set[tuple[int, str]]:
    return {(error.line, error.column) for error in report.errors}


def test_sample_csv_imports_and_a_second_import_changes_nothing(session, agency):
    data = (SAMPLES / "procedures.csv").read_bytes()
    report = import_procedures(session, "procedures.csv", data)
    assert report.ok, report.lines()
    assert report.rows == 4 and len(report.created) == 4
    session.commit()

    notice = session.scalar(select(Procedure).where(Procedure.code == "T-BPC-281525-TT"))
    assert notice.processing_half_days == 15  # 7.5 working days
    assert notice.field.value == "postal"  # "bưu chính" read as the postal field
    assert [item.name for item in notice.checklist] == [
        "Văn bản thông báo hoạt động bưu chính (theo mẫu)",
        "Bản sao giấy chứng nhận đăng ký doanh nghiệp",
    ]
    printing = session.scalar(select(Procedure).where(Procedure.code == "T-BPC-281503-TT"))
    assert not printing.postal_eligible and "kiểm tra thực tế" in printing.postal_exclusion_reason
    assert len(printing.checklist) == 3 and printing.fee_vnd == 100_000

    again = import_procedures(session, "procedures.csv", data)
    assert again.ok and len(again.unchanged) == 4 and not again.created and not again.updated


def test_sample_with_errors_names_every_bad_row_and_imports_nothing(session, agency):
    report = import_procedures(session, "x.csv", (SAMPLES / "procedures-with-errors.csv").read_bytes())
    assert not report.ok
    assert _errors(report) == {
        (3, "agency_code"), (3, "level"), (3, "processing_days"), (3, "fee_vnd"),
        (4, "code"),
        (5, "name"), (5, "field"), (5, "fee_vnd"),
        (6, "agency_code"), (6, "processing_days"), (6, "postal_exclusion_reason"),
    }
    duplicate = next(error for error in report.errors if error.line == 4)
    assert duplicate.params == {"code": "T-BPC-281520-TT", "first": 2}
    session.commit()
    assert _count(session) == 0  # the good first row was not imported either
    assert report.lines()[0].startswith("Không nhập gì")


def test_a_good_file_updates_by_code_and_replaces_the_checklist(session, agency):
    factories.procedure(session, agency, code="T-BPC-281520-TT", fee_vnd=1, checklist=("Cũ",), demo_figures=True)
    session.commit()
    report = import_procedures(session, "a.csv", _csv(
        ["t-bpc- 281520-tt", "Cấp giấy phép bưu chính", "postal", "000.00.20.H10", "3", "10", "50.000",
         "", "", "Phòng Bưu chính – Viễn thông", "Đơn | Bản sao ; "],
    ))
    assert report.ok, report.lines()
    assert report.updated == ["T-BPC-281520-TT"]
    session.commit()
    row = session.scalar(select(Procedure).where(Procedure.code == "T-BPC-281520-TT"))
    assert (row.level, row.processing_half_days, row.fee_vnd, row.postal_eligible) == (3, 20, 50_000, True)
    assert [item.name for item in row.checklist] == ["Đơn", "Bản sao"]
    assert not row.demo_figures
    assert _count(session) == 1


def test_xlsx_good_file_imports(session, agency):
    data = _xlsx(
        ["T-BPC-281491-TT", "Cấp giấy phép xuất bản Bản tin", "press", "000.00.20.H10", 4, 7.5, 0,
         True, None, "Phòng Thông tin – Báo chí – Xuất bản", "Đơn đề nghị;Sơ yếu lý lịch"],
        ["T-BPC-281520-TT", "Cấp giấy phép bưu chính", "Bưu chính", "000.00.20.H10", 4.0, 15, 200000.0,
         "không", "Cần kiểm tra thực tế", None, None],
    )
    report = import_procedures(session, "DANH-MUC.XLSX", data)
    assert report.ok, report.lines()
    session.commit()
    rows = {row.code: row for row in session.scalars(select(Procedure))}
    assert rows["T-BPC-281491-TT"].processing_half_days == 15
    assert rows["T-BPC-281520-TT"].fee_vnd == 200_000 and not rows["T-BPC-281520-TT"].postal_eligible


def test_xlsx_bad_rows_are_all_reported_with_their_line(session, agency):
    data = _xlsx(
        ["T-BPC-281491-TT", "Tên", "press", "000.00.20.H10", 4, 5, 0, True, None, None, None],
        ["T-BPC-281492-TT", "Tên", "press", "000.00.20.H10", 2, 0.25, 10.5, "maybe", None, None, None],
        [None, None, None, None, None, None, None, None, None, None, None],  # blank rows are skipped
        ["T-BPC-281493-TT", None, "sport", "000.00.21.H10", 4, 5, -1, True, None, None, None],
    )
    report = import_procedures(session, "d.xlsx", data)
    assert _errors(report) == {
        (3, "level"), (3, "processing_days"), (3, "fee_vnd"), (3, "postal_eligible"),
        (5, "name"), (5, "field"), (5, "agency_code"), (5, "fee_vnd"),
    }
    negative = next(error for error in report.errors if error.line == 5 and error.column == "fee_vnd")
    assert "âm" in negative.message
    assert _count(session) == 0


@pytest.mark.parametrize(
    ("filename", "data", "expected"),
    [
        ("a.txt", b"code\n", {(0, "file")}),
        ("a.csv", b"", {(0, "file")}),
        ("a.csv", "code,name\n".encode(), {(1, "field"), (1, "agency_code"), (1, "level"),
                                           (1, "processing_days"), (1, "fee_vnd")}),
        ("a.csv", ",".join(HEADER + ["colour"]).encode() + b"\n", {(1, "colour")}),
        ("a.csv", ",".join(HEADER).encode() + b"\n", {(0, "file")}),
        ("a.csv", "code,name\nT-1,Tên\xe0\n".encode("latin-1"), {(0, "file")}),
        ("a.xlsx", b"not a zip", {(0, "file")}),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(session, agency, filename, data, expected):
    report = import_procedures(session, filename, data)
    assert _errors(report) == expected
    assert all(error.message for error in report.errors)


def test_cli_import_and_list(app, agency):
    runner = app.test_cli_runner()
    good = runner.invoke(catalogue_commands, ["import", str(SAMPLES / "procedures.csv")])
    assert good.exit_code == 0, good.output
    assert "4 thêm mới" in good.output
    bad = runner.invoke(catalogue_commands, ["import", str(SAMPLES / "procedures-with-errors.csv")])
    assert bad.exit_code == 1
    assert "dòng 3, cột level" in bad.output
    listing = runner.invoke(catalogue_commands, ["list"])
    assert listing.exit_code == 0
    assert "T-BPC-281525-TT\t7.5 ngày" in listing.output
    assert "[không qua bưu chính]" in listing.output
    assert listing.output.strip().endswith("4 thủ tục")


def _login(client, session, role):
    user = factories.user(session, role=role)
    session.commit()
    log_in(client, user)


def test_import_page_for_operators(client, session, agency):
    assert client.get("/catalogue/import").status_code == 302  # anonymous: sent to log in
    _login(client, session, Role.operator)
    page = client.get("/catalogue/import")
    assert page.status_code == 200 and "Nhập danh mục thủ tục" in page.get_data(as_text=True)

    bad = client.post("/catalogue/import", data={"file": (io.BytesIO((SAMPLES / "procedures-with-errors.csv").read_bytes()), "e.csv")},
                      content_type="multipart/form-data")
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Không nhập gì" in text and "Mức độ phải là 3 hoặc 4" in text

    good = client.post("/catalogue/import", data={"file": (io.BytesIO((SAMPLES / "procedures.csv").read_bytes()), "p.csv")},
                       content_type="multipart/form-data")
    assert good.status_code == 200 and "4 thêm mới" in good.get_data(as_text=True)
    assert _count(session) == 4

    empty = client.post("/catalogue/import", data={}, content_type="multipart/form-data")
    assert empty.status_code == 422 and "Vui lòng chọn tệp" in empty.get_data(as_text=True)


def test_import_page_is_forbidden_to_other_roles(client, session):
    _login(client, session, Role.postal_staff)
    response = client.get("/catalogue/import")
    assert response.status_code == 403


def test_control_characters_in_a_file_are_dropped(session, agency):
    report = import_procedures(session, "n.csv", _csv(
        ["T-BPC-281520-TT", "Cấp giấy phép\x00 bưu chính", "postal", "000.00.20.H10", "4", "10", "0", "", "", "", "Đơn\x00"],
    ))
    assert report.ok, report.lines()
    session.commit()
    assert session.scalar(select(Procedure.name)) == "Cấp giấy phép bưu chính"
