"""The one-stop office's control sheet (form 05) and register book (form 06): thin handlers that read the
forms from postal_gateway.official_forms.services and render them as a page, a PDF or a workbook."""
from __future__ import annotations

from flask import Response, render_template, request

from postal_gateway.accounts.models import Role
from postal_gateway.catalogue.services import agency_choices
from postal_gateway.core.db import db_session, utcnow
from postal_gateway.core.domain import N_, InvalidInput
from postal_gateway.core.formatting import to_local
from postal_gateway.official_forms import documents, export, services
from postal_gateway.web.auth import current_account, roles_required
from postal_gateway.web.errors import errors_by_field

READERS = services.READER_ROLES
#: the register page lists this many dossiers; the exports carry the whole period
PAGE_ROWS = 300


def _attachment(content: bytes, mimetype: str, filename: str, *, inline: bool = False) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    return response


@roles_required(*READERS)
def control_sheet_pdf(code: str):
    """Form 05 of one dossier (Điều 9.2.a-b), rendered from its live history."""
    session = db_session()
    dossier = services.readable_dossier(session, current_account(), code)
    content = documents.control_sheet_pdf(services.control_sheet(session, dossier), printed_at=utcnow())
    return _attachment(content, "application/pdf", f"phieu-kiem-soat-{dossier.code}.pdf", inline=True)


def _asked_register() -> services.Register | None:
    """The register the query string asks for; None while an operator has not chosen an agency."""
    session = db_session()
    agency = services.register_agency(session, current_account(), request.args.get("agency"))
    period = services.parse_period(request.args.get("from"), request.args.get("to"),
                                   today=to_local(utcnow()).date())
    return None if agency is None else services.register(session, agency, period)


def _asked_register_for_export() -> services.Register:
    book = _asked_register()
    if book is None:
        raise InvalidInput.on_field("agency", N_("Chọn cơ quan để xem sổ theo dõi hồ sơ."))
    return book


@roles_required(*READERS)
def register_page():
    """Form 06 (Điều 9.3.c, 10.2.g) on a page: the period's received dossiers and the two exports."""
    errors: dict[str, list[str]] = {}
    book = None
    try:
        book = _asked_register()
    except InvalidInput as refused:
        errors = errors_by_field(refused)
    agencies = agency_choices(db_session()) if current_account().role == Role.operator else []
    today = to_local(utcnow()).date()
    return render_template("official_forms/register.html", book=book, errors=errors, agencies=agencies,
                           args=request.args, headers=documents.REGISTER_HEADERS, cells=documents.register_cells,
                           default_from=today.replace(day=1), default_to=today,
                           page_rows=PAGE_ROWS), (422 if errors else 200)


def _export_name(book: services.Register, extension: str) -> str:
    return f"so-theo-doi-{book.agency.code}-{book.period.first:%Y%m%d}-{book.period.last:%Y%m%d}.{extension}"


@roles_required(*READERS)
def register_xlsx():
    book = _asked_register_for_export()
    return _attachment(export.register_xlsx(book),
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _export_name(book, "xlsx"))


@roles_required(*READERS)
def register_pdf():
    book = _asked_register_for_export()
    return _attachment(documents.register_pdf(book, printed_at=utcnow()), "application/pdf", _export_name(book, "pdf"),
                       inline=True)
