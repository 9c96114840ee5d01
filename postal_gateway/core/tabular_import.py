"""Reading a CSV or XLSX upload row by row, and telling the operator why a file was refused.

Knows nothing of what the rows mean: each importer maps the header, checks its columns and
reports its own errors as `RowError`s. A file with any error imports nothing, so the report of a
refused file lists every error at once, by line and column.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, Callable, Iterator

from openpyxl import load_workbook

from postal_gateway.core.domain import N_

Translate = Callable[[str], str]


def _untranslated(message: str) -> str:
    return message


class FileError(Exception):
    """The file as a whole cannot be read (wrong type, encoding or format)."""

    def __init__(self, message: str, params: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.params = params or {}


@dataclass
class RowError:
    #: line of the file (the header is line 1); 0 for the file as a whole
    line: int
    column: str
    #: translatable message id with %(name)s placeholders
    message: str
    params: dict[str, Any] = dataclass_field(default_factory=dict)
    #: the file's name, when one import reads several files; None when there is only one
    file: str | None = None

    def text(self, translate: Translate = _untranslated) -> str:
        rendered = translate(self.message)
        return rendered % self.params if self.params else rendered

    def where(self, translate: Translate = _untranslated) -> str:
        if self.file is None:
            return translate("dòng %(line)s, cột %(column)s") % {"line": self.line, "column": self.column}
        return translate("%(file)s dòng %(line)s, cột %(column)s") % {
            "file": self.file, "line": self.line, "column": self.column}


@dataclass(kw_only=True)
class TabularImportReport:
    """What every import report has: its errors, and their listing when the file is refused."""

    errors: list[RowError] = dataclass_field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def refusal_lines(self, translate: Translate = _untranslated) -> list[str]:
        output = [translate("Không nhập gì: tệp có %(count)s lỗi.") % {"count": len(self.errors)}]
        output.extend(f"  {error.where(translate)}: {error.text(translate)}" for error in self.errors)
        return output


def read_rows(filename: str, data: bytes) -> Iterator[tuple[int, list[Any]]]:
    """(line number, raw cells) of every row of a .csv or .xlsx file, the header included.

    Raises FileError while iterating when the file is of another type or cannot be read.
    """
    lowered = filename.lower()
    if lowered.endswith(".csv"):
        yield from _read_csv(data)
    elif lowered.endswith(".xlsx"):
        yield from _read_xlsx(data)
    else:
        raise FileError(N_("Chỉ nhận tệp .csv hoặc .xlsx."))


def record_of(header: list[str], cells: list[Any]) -> dict[str, Any]:
    """One row as {column: raw cell}; a short row leaves its last columns None, unnamed columns are dropped."""
    return {column: cells[index] if index < len(cells) else None for index, column in enumerate(header) if column}


def _read_csv(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileError(N_("Tệp CSV phải được lưu bằng bảng mã UTF-8.")) from error
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            # line_num, not a counter: a quoted cell may span several lines of the file
            yield reader.line_num, row
    except csv.Error as error:
        raise FileError(N_("Tệp CSV bị lỗi định dạng ở dòng %(line)s."), {"line": reader.line_num}) from error


def _read_xlsx(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        # read-only streams the sheet instead of loading every cell of a large upload at once
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - any unreadable workbook is the user's file
        raise FileError(N_("Không đọc được tệp Excel (.xlsx).")) from error
    try:
        for number, row in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
            yield number, list(row)
    finally:
        workbook.close()
