"""The statistics area's handlers (R-21): the page, its spreadsheet and the API."""
from __future__ import annotations

from flask import Response, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup
from spectree import Response as Documented

from postal_gateway.accounts.models import Role
from postal_gateway.api.spec import operation
from postal_gateway.catalogue.services import agency_choices
from postal_gateway.core.db import db_session, utcnow
from postal_gateway.core.domain import InvalidInput
from postal_gateway.statistics import export, pdf, schemas
from postal_gateway.statistics.service import COLUMN_DEFINITIONS, COLUMNS, NO_DATA_KEYS, RECEPTION_COLUMNS, Report, agency_statistics
from postal_gateway.web.auth import api_auth, current_account, roles_required
from postal_gateway.web.errors import errors_by_field

VIEWERS = (Role.agency_staff, Role.agency_admin, Role.operator)


def _report(agency: str | None, date_from: str | None, date_to: str | None) -> Report:
    return agency_statistics(db_session(), viewer=current_account(), agency_code=agency or None,
                             date_from=date_from, date_to=date_to, now=utcnow())


def _report_asked_by_page() -> Report:
    return _report(request.args.get("agency"), request.args.get("from"), request.args.get("to"))


@roles_required(*VIEWERS)
def page():
    errors: dict[str, list[str]] = {}
    report = None
    try:
        report = _report_asked_by_page()
    except InvalidInput as refused:
        errors = errors_by_field(refused)
    agencies = agency_choices(db_session()) if current_account().role == Role.operator else []
    chart = None
    if report is not None:
        chart = Markup(export.chart_svg(report, on_time_label=_("Đúng hạn"), late_label=_("Quá hạn"),
                                        title=_("Hồ sơ giải quyết đúng hạn và quá hạn theo cơ quan")))
    return render_template("statistics/page.html", report=report, errors=errors, columns=COLUMNS, chart=chart,
                           no_data=NO_DATA_KEYS, no_data_note=export.NO_DATA_NOTE,
                           column_definitions=COLUMN_DEFINITIONS,
                           reception_columns=RECEPTION_COLUMNS, agencies=agencies,
                           args=request.args), (422 if errors else 200)


@roles_required(*VIEWERS)
def export_xlsx():
    report = _report_asked_by_page()
    response = Response(export.xlsx(report, translate=_),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"thong-ke-{report.period.first:%Y%m%d}-{report.period.last:%Y%m%d}.xlsx"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@roles_required(*VIEWERS)
def export_pdf():
    """The same two tables as the page and the XLSX, A4 landscape, to print or sign (R-21)."""
    report = _report_asked_by_page()
    response = Response(pdf.pdf(report, printed_at=utcnow(), translate=_), mimetype="application/pdf")
    name = f"thong-ke-{report.period.first:%Y%m%d}-{report.period.last:%Y%m%d}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@api_auth(*VIEWERS)
@operation(
    resp=Documented(HTTP_200=schemas.StatisticsOut, HTTP_401=None, HTTP_403=None),
    tags=["statistics"],
    operation_id="agencyStatistics",
    openapi_extra={"responses": {"200": {"description": "The table"}}},
)
def api_statistics(query: schemas.StatisticsQuery):
    """Dossier handling statistics per agency and period (the columns of seed 001)

    Whole days in Vietnam (Asia/Ho_Chi_Minh), `from`..`to` inclusive; default 1 January of this year to today.
    `to` may not be after today; at most 5 years. Agency staff see only their own agency (another agency's code
    is 403); operators see every agency or the one named. How each column is computed: docs/statistics.md.
    """
    return schemas.StatisticsOut.of(_report(query.agency, query.date_from, query.date_to))
