"""Proving one holds an ID number before the public lookup shows names (Nghị định 13/2023/NĐ-CP).

A lookup by ID number lists the dossiers of that number (R-19, seed 003) with the applicant's name masked,
since anyone who knows or guesses a number would otherwise see a person's dealings with the state. The
holder sees the names after a one-time code sent to the phone on file (or by logging in). Every answer
here is the same whether or not the number belongs to an account, so the page reveals nothing to a
stranger; the lookup by dossier code is unchanged (R-19 fields in full). No Flask here.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from postal_gateway.accounts import one_time_codes
from postal_gateway.accounts.identity import normalise_id_number
from postal_gateway.accounts.models import CodePurpose, Role, User
from postal_gateway.core.domain import N_, FieldError, InvalidInput, TooManyAttempts
from postal_gateway.lookup.projection import id_number_hash

#: how long a proven holder sees names without a new code
PROOF_LIFETIME = timedelta(minutes=15)
WRONG_CODE = N_("Mã xác minh không đúng hoặc đã hết hạn.")


def masked_name(full_name: str) -> str:
    """The family name and initials: "Nguyễn Văn An" → "Nguyễn V. A."."""
    parts = (full_name or "").split()
    return " ".join(parts[:1] + [f"{part[0]}." for part in parts[1:]])


def number_of(raw_id) -> str:
    """The canonical ID number, or InvalidInput naming ``id_number``."""
    _kind, number = normalise_id_number(raw_id if isinstance(raw_id, str) else "", field="id_number")
    return number


def _holder(session: Session, number: str) -> User | None:
    return session.scalar(select(User).where(User.id_number == number, User.is_active.is_(True)))


def send_proof_code(session: Session, raw_id, now: datetime) -> None:
    """Send a code to the phone on file of the number's holder, if there is one. Nothing tells the
    caller whether a code went out: an unknown number, a holder without a phone and a resend too soon
    all answer like a sent code."""
    holder = _holder(session, number_of(raw_id))
    if holder is None or not holder.phone:
        return
    try:
        one_time_codes.issue_code(session, holder, CodePurpose.lookup, channel="sms", now=now)
    except TooManyAttempts:
        return


def confirm_proof_code(session: Session, raw_id, code, now: datetime) -> str:
    """The keyed hash of the proven number (what the caller keeps for PROOF_LIFETIME), or one
    InvalidInput for every failure. Wrong guesses are counted on the code: the caller runs this in
    ``one_time_codes.unit_of_work_counting_guesses`` so they are committed."""
    number = number_of(raw_id)
    holder = _holder(session, number)
    refused = InvalidInput(WRONG_CODE, field_errors=[FieldError("otp", WRONG_CODE)])
    if holder is None:
        raise refused
    try:
        one_time_codes.verify_code(session, holder, CodePurpose.lookup, code if isinstance(code, str) else "",
                                   now=now)
    except (InvalidInput, TooManyAttempts):
        raise refused from None
    return id_number_hash(number)


def proof_expiry(now: datetime) -> datetime:
    return now + PROOF_LIFETIME


def is_logged_in_holder(viewer: User | None, raw_id) -> bool:
    """A signed-in citizen looking up their own number."""
    if viewer is None or not viewer.is_active or viewer.role != Role.citizen or not viewer.id_number:
        return False
    try:
        return number_of(raw_id) == viewer.id_number
    except InvalidInput:
        return False
