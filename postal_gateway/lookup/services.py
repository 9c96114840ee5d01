"""Public lookup by dossier code or ID number (R-19); no Flask here.

Answers carry only the R-19 fields: code (and its QR code), receiving agency, processing
department, organisation, applicant's full name, receipt date, appointment date, status, what
must be supplemented, and the public timeline.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from postal_gateway.accounts.identity import normalise_id_number
from postal_gateway.accounts.models import User
from postal_gateway.core.domain import N_, NotFound
from postal_gateway.dossiers.codes import parse_dossier_code
from postal_gateway.dossiers.models import Dossier
from postal_gateway.dossiers.shipments import find_by_reference, is_shipment_number, reference_in
from postal_gateway.lookup.holder_proof import masked_name
from postal_gateway.lookup.models import LookupRecord
from postal_gateway.lookup.projection import id_number_hash, refresh_record

#: an ID number may own many dossiers; the answer lists the most recent ones
MAX_RESULTS = 20
#: the fields an answer may contain (a test checks no other key leaks)
PUBLIC_FIELDS = (
    "code", "shipment_number", "submitted_at", "agency_name", "processing_department", "organisation_name", "applicant_name",
    "received_at", "appointment_date", "status", "supplements", "timeline",
)


def public_view(record: LookupRecord, *, name_shown: bool = True) -> dict:
    """The R-19 fields of a record; the applicant's name masked unless ``name_shown`` (a lookup by ID
    number by someone who has not proven they hold it: holder_proof)."""
    return {
        "code": record.code,
        "shipment_number": record.shipment_number,
        "submitted_at": record.submitted_at,
        "agency_name": record.agency_name,
        "processing_department": record.processing_department,
        "organisation_name": record.organisation_name,
        "applicant_name": record.applicant_name if name_shown else masked_name(record.applicant_name),
        "received_at": record.received_at,
        "appointment_date": record.appointment_date,
        "status": record.status,
        "supplements": list(record.supplements or []),
        "timeline": [
            {"at": item.get("at"), "label": item.get("label"), "place": item.get("place", "")}
            for item in (record.timeline or [])
        ],
    }


def clean_code(raw) -> str:
    """A well-formed dossier code or shipment number (the submission's reference before the agency
    issues a code, Điều 14.4), or InvalidInput naming ``code``."""
    raw = reference_in(raw)  # a scanned QR code gives the whole lookup link
    if len(raw) > 64:
        raw = ""
    if is_shipment_number(raw):
        return raw.strip().upper()
    return str(parse_dossier_code(raw, field="code"))


#: the columns an answer is built from, read as a plain row (no ORM object is built for a lookup)
_PUBLIC_COLUMNS = [LookupRecord.__table__.c[name] for name in PUBLIC_FIELDS]


def find_by_code(session: Session, raw_code) -> LookupRecord:
    """The lookup record of a dossier code (its public columns, one indexed query; a plain row with the
    record's attribute names). A dossier with no record yet gets one now (flushed; the caller commits).
    NotFound for a well-formed code nobody issued."""
    code = clean_code(raw_code)
    column = LookupRecord.shipment_number if is_shipment_number(code) else LookupRecord.code
    row = session.execute(select(*_PUBLIC_COLUMNS).where(column == code)).first()
    if row is not None:
        return row  # type: ignore[return-value] - read like a LookupRecord (public_view)

    dossier = find_by_reference(session, code)
    if dossier is None:
        raise NotFound(
            N_("Không có hồ sơ nào mang mã %(code)s. Kiểm tra lại mã trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả."),
            params={"code": code},
            field_errors=[],
        )
    record = refresh_record(session, dossier)
    session.flush()
    return record


def find_by_id_number(session: Session, raw_id) -> list[LookupRecord]:
    """The dossiers of an ID or passport number, newest first (R-19 fields only).

    The number is compared by its keyed hash; an unknown number answers NotFound with the same
    wording whether or not a person with that number exists."""
    if not isinstance(raw_id, str) or len(raw_id) > 32:
        raw_id = ""
    _kind, number = normalise_id_number(raw_id, field="id_number")
    digest = id_number_hash(number)
    records = list(
        session.scalars(
            select(LookupRecord).where(LookupRecord.id_number_hash == digest)
            .order_by(LookupRecord.submitted_at.desc()).limit(MAX_RESULTS)
        )
    )
    # dossiers received before any event reached the store
    known = {record.dossier_id for record in records}
    missing = session.scalars(
        select(Dossier).join(User, User.id == Dossier.citizen_id).where(User.id_number == number)
        .order_by(Dossier.submitted_at.desc()).limit(MAX_RESULTS)
    ).all()
    added = [refresh_record(session, dossier) for dossier in missing if dossier.id not in known]
    if added:
        session.flush()
        records = sorted(records + added, key=lambda r: r.submitted_at, reverse=True)[:MAX_RESULTS]
    if not records:
        raise NotFound(N_("Không có hồ sơ nào gắn với số giấy tờ này."))
    return records
