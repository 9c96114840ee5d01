"""Dossier codes (R-10, Điều 15): ``<agency code>-<YYMMDD>-<XXXX>``, gap-free per agency and day.

The sequence comes from one atomic upsert on ``dossier_code_counters`` in the transaction that
inserts the dossier: the counter row lock orders concurrent submissions, and a rollback gives the
number back, so codes of a day run 0001, 0002, … without gaps or duplicates.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from postal_gateway.catalogue.models import Agency
from postal_gateway.core.domain import N_, Conflict, FieldError, InvalidInput
from postal_gateway.core.formatting import to_local
from postal_gateway.dossiers.models import DossierCodeCounter

#: the day's sequence is four digits (Điều 15.3.b), so 9999 dossiers per agency and day at most
MAX_SEQUENCE = 9999

CODE_PATTERN = re.compile(
    r"^(?P<agency>[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9A-Z]{2})"
    r"-(?P<day>[0-9]{6})-(?P<sequence>[0-9]{4})$"
)


@dataclass(frozen=True)
class DossierCode:
    agency_code: str
    #: the receipt date in Vietnam
    day: date
    sequence: int

    def __str__(self) -> str:
        return format_dossier_code(self.agency_code, self.day, self.sequence)


def format_dossier_code(agency_code: str, day: date, sequence: int) -> str:
    if not 1 <= sequence <= MAX_SEQUENCE:
        raise ValueError(f"sequence {sequence} is outside 1..{MAX_SEQUENCE}")
    return f"{agency_code}-{day:%y%m%d}-{sequence:04d}"


def receipt_day(received_at: datetime) -> date:
    """The Vietnamese calendar day of a receipt time (23:30 UTC is already the next day there)."""
    return to_local(received_at).date()


def parse_dossier_code(code: str, *, field: str = "code") -> DossierCode:
    """Split a dossier code into its parts; InvalidInput if it is not a well-formed code."""
    cleaned = (code or "").strip().upper()
    match = CODE_PATTERN.match(cleaned)
    day = None
    if match:
        try:
            day = datetime.strptime(match["day"], "%y%m%d").date()
        except ValueError:
            day = None
    if match is None or day is None or int(match["sequence"]) == 0:
        raise InvalidInput(
            N_("Mã hồ sơ không đúng định dạng."),
            field_errors=[
                FieldError(
                    field,
                    N_("Mã hồ sơ phải có dạng 000.00.20.H10-261207-0001."),
                )
            ],
        )
    return DossierCode(match["agency"], day, int(match["sequence"]))


def _insert(session: Session):
    return postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def next_dossier_code(session: Session, agency: Agency, received_at: datetime) -> str:
    """Issue the next code of ``agency`` for the Vietnamese day of ``received_at``.

    Must run in the transaction that inserts the dossier (the caller commits or rolls back both).
    """
    day = receipt_day(received_at)
    insert = _insert(session)
    table = DossierCodeCounter.__table__
    statement = (
        insert(table)
        .values(agency_id=agency.id, day=day, last_sequence=1)
        .on_conflict_do_update(
            index_elements=[table.c.agency_id, table.c.day],
            set_={"last_sequence": table.c.last_sequence + 1},
            # At 9999 nothing is updated and nothing returned: a clear refusal, not a
            # check-constraint failure that would poison the caller's transaction.
            where=table.c.last_sequence < MAX_SEQUENCE,
        )
        .returning(table.c.last_sequence)
    )
    sequence = session.execute(statement).scalar_one_or_none()
    if sequence is None:
        raise Conflict(
            N_("Cơ quan %(agency)s đã hết số thứ tự hồ sơ trong ngày %(day)s (tối đa 9999)."),
            params={"agency": agency.code, "day": day.strftime("%d/%m/%Y")},
        )
    return format_dossier_code(agency.code, day, sequence)
