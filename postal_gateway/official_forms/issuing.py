"""Issue and read the stored forms 01–04: numbered, frozen, and readable only by the people of the
dossier (the citizen, its post office, its agency, an operator) and by the body that issued the form.

A form is a legal document (Điều 9.1.b–c, 9.3.d, 18): once issued, what it says and the PDF printed
never change, so ``issue`` renders once and stores both. No Flask here.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from postal_gateway.accounts.models import Role, User
from postal_gateway.catalogue.models import Agency
from postal_gateway.core.domain import N_, NotFound
from postal_gateway.dossiers.models import Dossier
from postal_gateway.dossiers.services import can_view
from postal_gateway.dossiers.shipments import find_by_reference
from postal_gateway.official_forms.models import OfficialForm
from postal_gateway.official_forms.numbering import SUFFIXES, TITLES, next_form_number, number_line

#: builds the PDF of a form from the values it prints (number, title and issuer included)
Renderer = Callable[[dict], bytes]


def issue(
    session: Session, *, form_no: int, dossier: Dossier, agency: Agency, officer: User, now: datetime, data: dict,
    render: Renderer,
) -> OfficialForm:
    """Number, render and store one form issued by ``agency`` (its officer ``officer``) for ``dossier``,
    in the caller's transaction. ``data`` holds what the form prints beyond its number, title, issuer
    and date, which are added here; it must be JSON (it is frozen with the PDF)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    year, number = next_form_number(session, agency_id=agency.id, form_no=form_no, at=now)
    printed = {
        **data,
        "form_no": form_no,
        "title": TITLES[form_no],
        "year": year,
        "number": number,
        "number_line": number_line(form_no, number),
        "issuer_name": agency.name,
        "officer_name": officer.full_name,
        "issued_at": now.isoformat(),
    }
    pdf = render(printed)
    form = OfficialForm(
        agency_id=agency.id, form_no=form_no, year=year, number=number, dossier_id=dossier.id, issued_at=now,
        issued_by_id=officer.id, data=printed, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(),
    )
    session.add(form)
    session.flush()
    return form


def may_read(form: OfficialForm, dossier: Dossier, viewer: User | None) -> bool:
    """Whoever may see the dossier, and the officers of the body that issued the form (a cooperating
    agency reads its own apology letter)."""
    if can_view(dossier, viewer):
        return True
    return (viewer is not None and viewer.is_active and viewer.role in (Role.agency_staff, Role.agency_admin)
            and viewer.agency_id == form.agency_id)


def _not_found(ref) -> NotFound:
    cleaned = (ref if isinstance(ref, str) else "").strip().upper()
    return NotFound(N_("Không tìm thấy hồ sơ %(code)s."), params={"code": cleaned[:40] or "?"})


def readable_form(session: Session, viewer: User | None, ref: str, form_id: int, *, with_pdf: bool = False
                  ) -> OfficialForm:
    """The form ``form_id`` of the dossier named by ``ref`` (code or shipment number) if ``viewer`` may
    read it; NotFound alike for an unknown dossier, an unknown form and a form out of reach."""
    dossier = find_by_reference(session, ref) if isinstance(ref, str) else None
    if dossier is None:
        raise _not_found(ref)
    query = select(OfficialForm).where(OfficialForm.id == form_id, OfficialForm.dossier_id == dossier.id)
    if with_pdf:
        query = query.options(undefer(OfficialForm.pdf))
    form = session.scalar(query)
    if form is None or not may_read(form, dossier, viewer):
        raise _not_found(ref)
    return form


def readable_forms(session: Session, viewer: User | None, ref: str) -> list[IssuedForm]:
    """The forms of the dossier named by ``ref`` that ``viewer`` may read; NotFound when there is no such
    dossier or the viewer may read none of it."""
    dossier = find_by_reference(session, ref) if isinstance(ref, str) else None
    if dossier is None:
        raise _not_found(ref)
    listed = forms_of(session, dossier, viewer)
    if not listed and not can_view(dossier, viewer):
        raise _not_found(ref)
    return listed


@dataclass(frozen=True)
class IssuedForm:
    """One line of a dossier's list of forms."""

    id: int
    form_no: int
    title: str
    number_line: str
    year: int
    number: int
    issuer_name: str
    issued_at: datetime


def forms_of(session: Session, dossier: Dossier, viewer: User | None) -> list[IssuedForm]:
    """The dossier's stored forms that ``viewer`` may read, oldest first."""
    forms = session.scalars(
        select(OfficialForm).where(OfficialForm.dossier_id == dossier.id).order_by(OfficialForm.issued_at,
                                                                                   OfficialForm.id)
    ).all()
    return [
        IssuedForm(form.id, form.form_no, TITLES[form.form_no], number_line(form.form_no, form.number), form.year,
                   form.number, form.agency.name, form.issued_at)
        for form in forms if may_read(form, dossier, viewer)
    ]


def latest_form(session: Session, dossier: Dossier, form_no: int) -> OfficialForm | None:
    """The last ``form_no`` issued for the dossier (form 01 is issued once; 02 and 04 may repeat)."""
    return session.scalar(
        select(OfficialForm).where(OfficialForm.dossier_id == dossier.id, OfficialForm.form_no == form_no)
        .order_by(OfficialForm.issued_at.desc(), OfficialForm.id.desc()).limit(1)
    )


def file_name(form: OfficialForm) -> str:
    return f"mau-{form.form_no:02d}-{SUFFIXES[form.form_no].lower()}-{form.number}-{form.year}.pdf"
