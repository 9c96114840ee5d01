"""Import of procedures from CSV or XLSX: every bad row is reported, and a file with any bad row
imports nothing.

Columns (first row): code, name, field, agency_code, level, processing_days, fee_vnd,
postal_eligible, postal_exclusion_reason, processing_department, checklist (documents separated
by ";" or "|"). The last four may be left out. A good file upserts by code; the caller's unit of work commits.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from postal_gateway.catalogue.demo_data import set_checklist
from postal_gateway.catalogue.models import Agency, Procedure, is_valid_agency_code
from postal_gateway.catalogue.services import normalise_procedure_code, parse_field
from postal_gateway.catalogue.text import fold, strip_control
from postal_gateway.core.domain import N_
from postal_gateway.core.tabular_import import FileError, RowError, TabularImportReport, read_rows, record_of

REQUIRED_COLUMNS = ("code", "name", "field", "agency_code", "level", "processing_days", "fee_vnd")
OPTIONAL_COLUMNS = (
    "postal_eligible",
    "postal_exclusion_reason",
    "processing_department",
    "checklist",
)
MAX_ROWS = 5000
_PROCEDURE_CODE = re.compile(r"^[A-Z0-9][A-Z0-9._\-]{0,63}$")
_GROUPED_THOUSANDS = re.compile(r"^\d{1,3}([. ]\d{3})+$")
_TRUE = {"true", "1", "yes", "y", "co", "x"}
_FALSE = {"false", "0", "no", "n", "khong"}


@dataclass
class ImportReport(TabularImportReport):
    filename: str
    rows: int = 0
    created: list[str] = dataclass_field(default_factory=list)
    updated: list[str] = dataclass_field(default_factory=list)
    unchanged: list[str] = dataclass_field(default_factory=list)

    def lines(self, translate=lambda message: message) -> list[str]:
        """The report as text lines (Vietnamese unless a translate function is given)."""
        if self.errors:
            return self.refusal_lines(translate)
        return [
            translate("Đã nhập %(rows)s dòng: %(created)s thêm mới, %(updated)s cập nhật, %(unchanged)s không đổi.")
            % {
                "rows": self.rows,
                "created": len(self.created),
                "updated": len(self.updated),
                "unchanged": len(self.unchanged),
            }
        ]


# --- parsing one row ----------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return strip_control(str(value)).strip()


def _parse_integer_vnd(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if _GROUPED_THOUSANDS.match(text):  # "50.000" as written in Vietnamese
        return int(re.sub(r"[. ]", "", text))
    return None


def _parse_days(value: Any) -> Decimal | None:
    text = _cell(value).replace(",", ".")
    try:
        days = Decimal(text)
    except InvalidOperation:
        return None
    return days if days.is_finite() else None


def _parse_bool(value: Any) -> bool | None:
    if value is None or value == "":
        return True
    if isinstance(value, bool):
        return value
    text = fold(_cell(value))
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def _parse_row(line: int, record: dict[str, Any], agencies: dict[str, Agency], errors: list[RowError]) -> dict | None:
    found: list[RowError] = []

    def bad(column: str, message: str, **params) -> None:
        found.append(RowError(line, column, message, params))

    code = normalise_procedure_code(_cell(record.get("code")))
    if not code:
        bad("code", N_("Thiếu mã thủ tục."))
    elif not _PROCEDURE_CODE.match(code):
        bad("code", N_("Mã thủ tục không hợp lệ: %(value)s."), value=code)

    name = " ".join(_cell(record.get("name")).split())
    if not name:
        bad("name", N_("Thiếu tên thủ tục."))
    elif len(name) > 500:
        bad("name", N_("Tên thủ tục quá dài (tối đa 500 ký tự)."))

    field_value = None
    raw_field = _cell(record.get("field"))
    try:
        field_value = parse_field(raw_field)
    except ValueError:
        bad("field", N_("Lĩnh vực không xác định: %(value)s."), value=raw_field)
    else:
        if field_value is None:
            bad("field", N_("Thiếu lĩnh vực."))

    agency_code = _cell(record.get("agency_code")).upper()
    agency = agencies.get(agency_code)
    if not agency_code:
        bad("agency_code", N_("Thiếu mã cơ quan."))
    elif not is_valid_agency_code(agency_code):
        bad("agency_code", N_("Mã cơ quan không đúng dạng V1V2V3.Z1Z2.Y1Y2.MX1X2: %(value)s."), value=agency_code)
    elif agency is None:
        bad("agency_code", N_("Không có cơ quan mã %(value)s trong danh mục."), value=agency_code)

    raw_level = _cell(record.get("level"))
    level = int(raw_level) if raw_level in ("3", "4") else None
    if level is None:
        bad("level", N_("Mức độ phải là 3 hoặc 4, không phải “%(value)s”."), value=raw_level)

    raw_days = _cell(record.get("processing_days"))
    days = _parse_days(raw_days)
    if days is None:
        bad("processing_days", N_("Thời hạn giải quyết phải là số ngày làm việc, không phải “%(value)s”."), value=raw_days)
    elif days <= 0:
        bad("processing_days", N_("Thời hạn giải quyết phải lớn hơn 0."))
    elif (days * 2) % 1 != 0:
        bad("processing_days", N_("Thời hạn giải quyết phải là bội số của 0,5 ngày: %(value)s."), value=raw_days)
    elif days > 365:
        bad("processing_days", N_("Thời hạn giải quyết quá dài: %(value)s ngày."), value=raw_days)

    raw_fee = record.get("fee_vnd")
    fee = _parse_integer_vnd(raw_fee) if _cell(raw_fee) != "" else None
    if _cell(raw_fee) == "":
        bad("fee_vnd", N_("Thiếu lệ phí (ghi 0 nếu không thu phí)."))
    elif fee is None:
        bad("fee_vnd", N_("Lệ phí phải là số nguyên đồng, không phải “%(value)s”."), value=_cell(raw_fee))
    elif fee < 0:
        bad("fee_vnd", N_("Lệ phí không được âm."))
    elif fee > 2_000_000_000:
        bad("fee_vnd", N_("Lệ phí quá lớn."))

    eligible = _parse_bool(record.get("postal_eligible"))
    reason = " ".join(_cell(record.get("postal_exclusion_reason")).split())
    if eligible is None:
        bad("postal_eligible", N_("Nhận qua bưu chính phải là có/không (true/false), không phải “%(value)s”."),
            value=_cell(record.get("postal_eligible")))
    elif eligible is False and not reason:
        bad("postal_exclusion_reason", N_("Cần ghi lý do không nhận qua bưu chính (để công bố)."))

    department = " ".join(_cell(record.get("processing_department")).split())
    if len(department) > 255:
        bad("processing_department", N_("Tên phòng xử lý quá dài (tối đa 255 ký tự)."))

    checklist = None
    if "checklist" in record:
        checklist = [" ".join(item.split()) for item in re.split(r"[;|]", _cell(record.get("checklist")))]
        checklist = [item for item in checklist if item]
        if any(len(item) > 500 for item in checklist):
            bad("checklist", N_("Tên một giấy tờ quá dài (tối đa 500 ký tự)."))

    errors.extend(found)
    if found:
        return None
    values = {
        "code": code,
        "name": name,
        "field": field_value,
        "agency": agency,
        "level": level,
        "processing_half_days": int(days * 2),
        "fee_vnd": fee,
        "postal_eligible": eligible,
        "postal_exclusion_reason": reason if not eligible else "",
        # the operator's file is the official source: it replaces demo figures and doubts
        "demo_figures": False,
        "needs_review": False,
        "review_note": "",
        "checklist": checklist,
    }
    if "processing_department" in record:
        values["processing_department"] = department
    return values


# --- the use case -------------------------------------------------------------------------------


def import_procedures(session: Session, filename: str, data: bytes) -> ImportReport:
    """Validate every row of a CSV or XLSX file, then upsert all of them, or none if any is bad.

    Nothing is written when the report has errors; otherwise the rows are flushed and the caller's unit
    of work commits (one transaction for the whole file).
    """
    report = ImportReport(filename=filename)
    agencies = {row.code: row for row in session.scalars(select(Agency))}
    parsed: list[dict] = []
    first_line_of_code: dict[str, int] = {}
    header: list[str] | None = None
    try:
        for line, cells in read_rows(filename or "", data):
            values = [_cell(value) for value in cells]
            if not any(values):
                continue
            if header is None:
                header = [value.strip().lower().lstrip("\ufeff") for value in values]
                missing = [column for column in REQUIRED_COLUMNS if column not in header]
                for column in missing:
                    report.errors.append(RowError(line, column, N_("Thiếu cột bắt buộc “%(column)s”."), {"column": column}))
                known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
                for column in header:
                    if column and column not in known:
                        report.errors.append(RowError(line, column, N_("Cột không xác định “%(column)s”."), {"column": column}))
                if report.errors:
                    return report
                continue
            report.rows += 1
            if report.rows > MAX_ROWS:
                report.errors.append(RowError(line, "file", N_("Tệp có quá %(max)s dòng."), {"max": MAX_ROWS}))
                return report
            record = record_of(header, cells)
            row = _parse_row(line, record, agencies, report.errors)
            code = normalise_procedure_code(_cell(record.get("code")))
            if code and code in first_line_of_code:
                report.errors.append(
                    RowError(line, "code", N_("Mã %(code)s trùng với dòng %(first)s."),
                             {"code": code, "first": first_line_of_code[code]})
                )
                continue
            if code:
                first_line_of_code[code] = line
            if row is not None:
                parsed.append(row)
    except FileError as error:
        report.errors.append(RowError(0, "file", error.message, error.params))
        return report
    if header is None:
        report.errors.append(RowError(0, "file", N_("Tệp trống.")))
    elif report.rows == 0:
        report.errors.append(RowError(0, "file", N_("Tệp không có dòng thủ tục nào.")))
    if report.errors:
        return report

    existing = {
        row.code: row
        for row in session.scalars(select(Procedure).where(Procedure.code.in_(list(first_line_of_code))))
    }
    for values in parsed:
        checklist = values.pop("checklist")
        procedure = existing.get(values["code"])
        if procedure is None:
            procedure = Procedure(**values)
            session.add(procedure)
            set_checklist(session, procedure, checklist or [])
            report.created.append(values["code"])
            continue
        changed = False
        for attribute, value in values.items():
            if getattr(procedure, attribute) != value:
                setattr(procedure, attribute, value)
                changed = True
        if checklist is not None:
            changed = set_checklist(session, procedure, checklist) or changed
        (report.updated if changed else report.unchanged).append(values["code"])
    session.flush()
    return report
