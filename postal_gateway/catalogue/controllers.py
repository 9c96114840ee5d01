"""The catalogue area's handlers: public pages, the operator's import page, and the public API."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from spectree import Response as Documented

from postal_gateway.accounts.models import Role
from postal_gateway.api.spec import operation
from postal_gateway.catalogue import forms, review, schemas, services
from postal_gateway.catalogue.importer import import_procedures
from postal_gateway.core.db import db_session, utcnow
from postal_gateway.core.domain import N_, DomainError, FieldError, InvalidInput
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.web.auth import current_account, roles_required
from postal_gateway.web.errors import STATUS_OF_DOMAIN_ERROR, translate

PAGE_SIZE = 100


def _search(filters: forms.ProcedureFilterForm) -> services.SearchResult:
    """Run the page's search; every bad filter is named at once."""
    errors = [] if filters.validate() else [
        FieldError(name, messages[0]) for name, messages in filters.errors.items()
    ]
    try:
        result = services.search_procedures(
            db_session(),
            q=filters.q.data,
            field=filters.field.data,
            level=filters.level.data,
            administrative_level=filters.administrative_level.data,
            postal_only=filters.postal_only,
            limit=PAGE_SIZE if filters.limit.data is None else filters.limit.data,
            offset=filters.offset.data or 0,
        )
    except InvalidInput as error:
        error.field_errors = errors + error.field_errors
        raise
    if errors:
        raise InvalidInput(N_("Điều kiện tìm kiếm không hợp lệ."), field_errors=errors)
    return result


def _label_context() -> dict:
    return {
        "field_labels": services.FIELD_LABELS,
        "administrative_level_labels": services.ADMINISTRATIVE_LEVEL_LABELS,
        "service_levels": services.SERVICE_LEVELS,
    }


# --- pages --------------------------------------------------------------------------------------


def list_procedures():
    errors: list[dict] = []
    try:
        result = _search(forms.ProcedureFilterForm(formdata=request.args))
    except InvalidInput as error:
        errors = [{"field": item.field, "message": translate(item.message, item.params)} for item in error.field_errors]
        result = services.SearchResult(items=[], total=0, limit=PAGE_SIZE, offset=0)
    next_url = None
    if result.offset + len(result.items) < result.total:
        arguments = request.args.to_dict()
        arguments["offset"] = result.offset + len(result.items)
        next_url = url_for("catalogue.list_procedures", **arguments)
    return render_template(
        "catalogue/list.html",
        result=result,
        groups=services.group_by_field(result.items),
        args=request.args,
        errors=errors,
        next_url=next_url,
        not_by_post_count=len(services.procedures_not_by_post(db_session())),
        **_label_context(),
    ), (422 if errors else 200)


def not_by_post():
    procedures = services.procedures_not_by_post(db_session())
    return render_template(
        "catalogue/not_by_post.html",
        groups=services.group_by_field(procedures),
        count=len(procedures),
        **_label_context(),
    )


def procedure_detail(code: str):
    procedure = services.get_procedure(db_session(), code)
    return render_template("catalogue/detail.html", procedure=procedure, **_label_context())


@roles_required(Role.operator)
def import_page():
    report = None
    error = None
    form = forms.CatalogueImportForm()
    if form.is_submitted():
        upload = form.chosen_file()
        if upload is None:
            error = _(forms.NO_FILE_CHOSEN)
        else:
            with unit_of_work() as session:  # a bad file writes nothing: the report lists every bad row
                report = import_procedures(session, upload.filename, upload.read())
    status = 200 if report is None or report.ok else 422
    if error:
        status = 422
    return render_template(
        "catalogue/import.html", report=report, error=error, summary=services.catalogue_summary(db_session())
    ), status


def _review(message: str = "", status: int = 200):
    return render_template("catalogue/review.html", queue=review.review_queue(db_session()), message=message,
                           **_label_context()), status


@roles_required(Role.operator)
def review_page():
    """The entries marked "Đang chờ rà soát" with their review note, and the latest confirmed ones."""
    return _review()


@roles_required(Role.operator)
def confirm_review():
    code = request.form.get("code", "")
    try:
        with unit_of_work() as session:
            procedure = review.confirm_reviewed(session, code, actor_id=current_account().id, now=utcnow())
            confirmed_code = procedure.code
    except DomainError as refused:  # nothing was written: the list is shown again with the reason
        status = next((value for kind, value in STATUS_OF_DOMAIN_ERROR.items() if isinstance(refused, kind)), 422)
        return _review(translate(refused.message, refused.params), status)
    flash(_("Đã xác nhận thủ tục %(code)s sau rà soát.", code=confirmed_code), "success")
    return redirect(url_for("catalogue.review_page"))


# --- API ----------------------------------------------------------------------------------------


def _code_parameter(example: str) -> dict:
    return {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}, "example": example}


@operation(
    query=schemas.ProcedureSearchQuery,
    resp=Documented(HTTP_200=schemas.ProcedurePageOut),
    tags=["catalogue"],
    operation_id="searchProcedures",
    openapi_extra={"security": [],
                   "responses": {"200": {"description": "One page of procedures, ordered by field then code."}}},
)
def api_list_procedures(query: schemas.ProcedureSearchQuery):
    """Search the published procedures

    Procedures with their fee, processing time and whether the post may receive them. `q` matches code or name
    word by word, ignoring case and Vietnamese diacritics (`cap giay phep` finds `Cấp giấy phép`). Every bad
    parameter is named in `errors`.
    """
    result = services.search_procedures(
        db_session(),
        q=query.q,
        field=query.field,
        level=query.level,
        administrative_level=query.administrative_level,
        postal_only=query.postal,
        limit=query.limit,
        offset=query.offset,
    )
    return schemas.ProcedurePageOut(
        items=[schemas.ProcedureSummary.of(procedure) for procedure in result.items],
        total=result.total,
        limit=result.limit,
        offset=result.offset,
    )


@operation(
    resp=Documented(HTTP_200=schemas.ProcedureOut, HTTP_404=None),
    tags=["catalogue"],
    operation_id="getProcedure",
    openapi_extra={"security": [], "parameters": [_code_parameter("T-BPC-281520-TT")],
                   "responses": {"200": {"description": "The procedure."}}},
)
def api_procedure(code: str):
    """One procedure with its checklist"""
    return schemas.ProcedureOut.of(services.get_procedure(db_session(), code))


@operation(
    resp=Documented(HTTP_200=schemas.AgencyOut, HTTP_404=None),
    tags=["catalogue"],
    operation_id="getAgency",
    openapi_extra={"security": [], "parameters": [_code_parameter("000.00.20.H10")],
                   "responses": {"200": {"description": "The agency."}}},
)
def api_agency(code: str):
    """An agency's published contacts"""
    return schemas.AgencyOut.of(services.get_agency(db_session(), code))
