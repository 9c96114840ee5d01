"""Form numbers: per issuing agency, form and Vietnamese year, gap-free ("Số: 12/YCBS").

The number comes from one atomic upsert on ``form_number_counters`` in the transaction that stores
the form, exactly like dossier codes: the counter row orders concurrent issues and a rollback gives
the number back. The suffixes are ours; the Circular leaves the number line to the issuing body.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from postal_gateway.core.formatting import to_local
from postal_gateway.official_forms.models import FormNumberCounter

RECEIPT, COMPLETION, REFUSAL, APOLOGY = 1, 2, 3, 4

#: the letters after the number on each stored form
SUFFIXES = {RECEIPT: "TNHS", COMPLETION: "YCBS", REFUSAL: "TCTN", APOLOGY: "PXL"}

#: each form's title as Thông tư 01/2018/TT-VPCP writes it
TITLES = {
    RECEIPT: "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
    COMPLETION: "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
    REFUSAL: "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
    APOLOGY: "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
}


def form_year(at: datetime) -> int:
    """The Vietnamese calendar year of a moment (23:30 UTC on 31 December is already next year there)."""
    return to_local(at).year


def number_line(form_no: int, number: int) -> str:
    return f"Số: {number}/{SUFFIXES[form_no]}"


def next_form_number(session: Session, *, agency_id: int, form_no: int, at: datetime) -> tuple[int, int]:
    """The (year, number) of the next ``form_no`` issued by the agency in the Vietnamese year of ``at``.

    Must run in the transaction that stores the form (the caller commits or rolls back both)."""
    if form_no not in SUFFIXES:
        raise ValueError(f"form {form_no} is not numbered")
    year = form_year(at)
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = FormNumberCounter.__table__
    statement = (
        insert(table)
        .values(agency_id=agency_id, form_no=form_no, year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[table.c.agency_id, table.c.form_no, table.c.year],
            set_={"last_number": table.c.last_number + 1},
        )
        .returning(table.c.last_number)
    )
    return year, session.execute(statement).scalar_one()
