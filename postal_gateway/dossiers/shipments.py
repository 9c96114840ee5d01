"""Shipment numbers (số hiệu bưu gửi): the post's own public reference of a submitted dossier.

A dossier gets its shipment number when the postal worker submits it (Điều 21.1), long before the
agency accepts it and issues the dossier code (Điều 14.4). The format is the UPU S10 identifier:
two service letters, an eight-digit serial, a check digit and the country code "VN", e.g.
``RA000000011VN``. It is not a legal number: gaps are harmless.
"""
from __future__ import annotations

import re
from urllib.parse import unquote

from sqlalchemy import select
from sqlalchemy.orm import Session

from postal_gateway.dossiers.codes import CODE_PATTERN, _insert
from postal_gateway.dossiers.models import Dossier, ShipmentNumberCounter

#: service indicator of documents sent through the public postal service (S10 letters)
SHIPMENT_PREFIX = "RA"
COUNTRY = "VN"
#: S10 weights of the eight serial digits
WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
MAX_SERIAL = 99_999_999

SHIPMENT_PATTERN = re.compile(r"^[A-Z]{2}[0-9]{9}[A-Z]{2}$")


def check_digit(serial: str) -> int:
    """S10 check digit of an eight-digit serial: 11 − (weighted sum mod 11), 10 → 0, 11 → 5."""
    value = 11 - sum(int(digit) * weight for digit, weight in zip(serial, WEIGHTS)) % 11
    return {10: 0, 11: 5}.get(value, value)


def format_shipment_number(serial: int, prefix: str = SHIPMENT_PREFIX) -> str:
    if not 1 <= serial <= MAX_SERIAL:
        raise ValueError(f"serial {serial} is outside 1..{MAX_SERIAL}")
    digits = f"{serial:08d}"
    return f"{prefix}{digits}{check_digit(digits)}{COUNTRY}"


def is_shipment_number(value: str) -> bool:
    """True for a well-formed S10 number whose check digit is right."""
    cleaned = (value or "").strip().upper()
    return bool(SHIPMENT_PATTERN.match(cleaned)) and check_digit(cleaned[2:10]) == int(cleaned[10])


def next_shipment_number(session: Session, prefix: str = SHIPMENT_PREFIX) -> str:
    """The next shipment number, from a counter row bumped in the caller's transaction."""
    table = ShipmentNumberCounter.__table__
    statement = (
        _insert(session)(table)
        .values(prefix=prefix, last_serial=1)
        .on_conflict_do_update(index_elements=[table.c.prefix], set_={"last_serial": table.c.last_serial + 1})
        .returning(table.c.last_serial)
    )
    return format_shipment_number(session.execute(statement).scalar_one(), prefix)


#: the code in a lookup link, which is what the QR codes on form 01 and the consignment slip hold
_LOOKUP_LINK = re.compile(r"[?&]code=([^&#\s]+)", re.IGNORECASE)
#: longer than any lookup link we print: nothing longer is parsed
MAX_TYPED = 300


def reference_in(raw) -> str:
    """The reference a typed or scanned text holds, upper-cased: the text itself, or the code of a lookup
    link (scanning the QR code of form 01 or the consignment slip gives the whole address)."""
    text = raw.strip() if isinstance(raw, str) and len(raw) <= MAX_TYPED else ""
    if "://" in text or text.lower().startswith("/lookup"):
        match = _LOOKUP_LINK.search(text)
        text = unquote(match.group(1)).strip() if match else text
    return text.upper()


def find_by_reference(session: Session, ref) -> Dossier | None:
    """The dossier a reference names: its dossier code (once accepted) or its shipment number (from
    submission on), typed or scanned as a lookup link, so every address that takes a code also takes the
    number on the consignment slip and the QR code of either paper."""
    cleaned = reference_in(ref)
    if CODE_PATTERN.match(cleaned):
        return session.scalar(select(Dossier).where(Dossier.code == cleaned))
    if SHIPMENT_PATTERN.match(cleaned):
        return session.scalar(select(Dossier).where(Dossier.shipment_number == cleaned))
    return None


def reference_of(dossier: Dossier) -> str:
    """The dossier's public reference: its code once accepted, its shipment number before."""
    return dossier.code or dossier.shipment_number
