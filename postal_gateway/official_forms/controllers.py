"""The one-stop office's forms: the stored forms 01–04 of a dossier (as issued), its control sheet (form
05) and the register book (form 06): thin handlers that read them from the official_forms services and
answer with a PDF, a page, a workbook or JSON."""
from __future__ import annotations

from flask import Response, render_template, request, url_for
from spectree import Response as Documented

from postal_gateway.accounts.models import Role
from postal_gateway.api.spec import operation
from postal_gateway.catalogue.services import agency_choices
from postal_gateway.core.db import db_session, utcnow
from postal_gateway.core.domain import N_, InvalidInput
from postal_gateway.core.formatting import to_local
from postal_gateway.official_forms import documents, export, issuing, schemas, services
from postal_gateway.web.auth import api_auth, current_account, roles_required
from postal_gateway.web.errors import errors_by_field

READERS = services.READER_ROLES
#: whoever may see the dossier or issued the form: the reach is checked in issuing.readable_form
EVERY_ROLE = tuple(Role)
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


# --- stored forms 01-04 -------------------------------------------------------------------------


def _stored_form_response(code: str, form_id: int) -> Response:
    form = issuing.readable_form(db_session(), current_account(), code, form_id, with_pdf=True)
    response = _attachment(form.pdf, "application/pdf", issuing.file_name(form), inline=True)
    response.headers["ETag"] = f'"{form.sha256}"'
    return response


@roles_required(*EVERY_ROLE)
def stored_form_pdf(code: str, form_id: int):
    """A form 01–04 exactly as issued (the same bytes on every print)."""
    return _stored_form_response(code, form_id)


_REF_PARAMETER = {
    "name": "code",
    "in": "path",
    "description": "Dossier code (Điều 15) or shipment number (S10).",
    "schema": {"type": "string", "maxLength": 40},
}
_FORM_PARAMETER = {"name": "form_id", "in": "path", "description": "The form's id, from the list.",
                   "schema": {"type": "integer", "minimum": 1}}


@api_auth(*EVERY_ROLE)
@operation(
    resp=Documented(HTTP_200=schemas.IssuedFormsOut, HTTP_401=None, HTTP_404=None),
    tags=["forms"],
    operation_id="listDossierForms",
    openapi_extra={"parameters": [_REF_PARAMETER]},
)
def api_dossier_forms(code: str):
    """The stored forms 01–04 of a dossier (the citizen, its post office and agency, the issuing body, operators)"""
    listed = issuing.readable_forms(db_session(), current_account(), code)
    return schemas.IssuedFormsOut(items=[
        schemas.IssuedFormOut.of(form, url_for("official_forms_api.api_stored_form_pdf", code=code, form_id=form.id,
                                               _external=True))
        for form in listed
    ])


@api_auth(*EVERY_ROLE)
@operation(
    resp=Documented(HTTP_401=None, HTTP_404=None),
    tags=["forms"],
    operation_id="getDossierForm",
    openapi_extra={"parameters": [_REF_PARAMETER, _FORM_PARAMETER],
                   "responses": {"200": {"description": "The form as issued, inline.",
                                         "content": {"application/pdf": {"schema": {"type": "string",
                                                                                    "format": "binary"}}}}}},
)
def api_stored_form_pdf(code: str, form_id: int):
    """One stored form 01–04 as issued, PDF"""
    return _stored_form_response(code, form_id)
