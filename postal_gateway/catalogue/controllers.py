"""The catalogue area's handlers: public pages, the operator's import page, and the public API."""
from __future__ import annotations

from flask import jsonify, render_template, request, url_for
from flask_babel import gettext as _

from postal_gateway.accounts.models import Role
from postal_gateway.auth import roles_required
from postal_gateway.catalogue import services
from postal_gateway.catalogue.importer import import_procedures
from postal_gateway.catalogue.models import Agency, Procedure
from postal_gateway.db import db_session
from postal_gateway.domain import N_, FieldError, InvalidInput
from postal_gateway.errors import translate
from postal_gateway.unit_of_work import unit_of_work


PAGE_SIZE = 100
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _int_or_raw(value: str | None, default: int):
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        return value  # the domain names it as a bad field, with the others


def _search(args, default_limit: int) -> services.SearchResult:
    """Run a search from query arguments; every bad argument is named at once."""
    errors: list[FieldError] = []
    postal = (args.get("postal") or "").strip().lower()
    if postal not in _TRUE | _FALSE:
        errors.append(FieldError("postal", N_("postal phải là true hoặc false.")))
    try:
        result = services.search_procedures(
            db_session(),
            q=args.get("q"),
            field=args.get("field") or None,
            level=args.get("level") or None,
            administrative_level=args.get("administrative_level") or None,
            postal_only=postal in _TRUE,
            limit=_int_or_raw(args.get("limit"), default_limit),
            offset=_int_or_raw(args.get("offset"), 0),
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
        result = _search(request.args, PAGE_SIZE)
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
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            error = _("Vui lòng chọn tệp .csv hoặc .xlsx.")
        else:
            with unit_of_work() as session:  # a bad file writes nothing: the report lists every bad row
                report = import_procedures(session, upload.filename, upload.read())
    status = 200 if report is None or report.ok else 422
    if error:
        status = 422
    return render_template(
        "catalogue/import.html", report=report, error=error, summary=services.catalogue_summary(db_session())
    ), status


# --- API ----------------------------------------------------------------------------------------


def procedure_as_dict(procedure: Procedure, with_checklist: bool = True) -> dict:
    body = {
        "code": procedure.code,
        "name": procedure.name,
        "field": procedure.field.value,
        "field_label": _(services.FIELD_LABELS[procedure.field]),
        "sector": procedure.sector,
        "administrative_level": procedure.administrative_level.value,
        "level": procedure.level,
        "processing_days": float(procedure.processing_days),
        "fee_vnd": procedure.fee_vnd,
        "postal_eligible": procedure.postal_eligible,
        "postal_exclusion_reason": procedure.postal_exclusion_reason or None,
        "processing_department": procedure.processing_department,
        "agency_code": procedure.agency.code,
        "agency_name": procedure.agency.name,
        "demo_figures": procedure.demo_figures,
        "needs_review": procedure.needs_review,
        "url": url_for("catalogue.procedure_detail", code=procedure.code, _external=True),
    }
    if with_checklist:
        body["checklist"] = [
            {"position": item.position, "name": item.name, "required": item.required, "copies": item.copies}
            for item in procedure.checklist
        ]
    return body


def agency_as_dict(agency: Agency) -> dict:
    return {
        "code": agency.code,
        "name": agency.name,
        "one_stop_phone": agency.one_stop_phone,
        "address": agency.address,
        "head_name": agency.head_name,
        "head_phone": agency.head_phone,
        "head_email": agency.head_email,
        "province_office_email": agency.province_office_email,
        "inspection_team_email": agency.inspection_team_email,
    }


def api_list_procedures():
    result = _search(request.args, 50)
    return jsonify(
        items=[procedure_as_dict(procedure, with_checklist=False) for procedure in result.items],
        total=result.total,
        limit=result.limit,
        offset=result.offset,
    )


def api_procedure(code: str):
    return jsonify(procedure_as_dict(services.get_procedure(db_session(), code)))


def api_agency(code: str):
    return jsonify(agency_as_dict(services.get_agency(db_session(), code)))
