"""The statistics area's handlers (R-21): the page, its spreadsheet and the API."""
from __future__ import annotations

from flask import Response, jsonify, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from postal_gateway.accounts.models import Role
from postal_gateway.auth import api_auth, current_account, roles_required
from postal_gateway.catalogue.models import Agency
from postal_gateway.db import db_session, utcnow
from postal_gateway.domain import InvalidInput
from postal_gateway.statistics import export
from postal_gateway.statistics.service import COLUMNS, agency_statistics, report_json


VIEWERS = (Role.agency_staff, Role.agency_admin, Role.operator)


def _report():
    args = request.args
    return agency_statistics(db_session(), viewer=current_account(), agency_code=args.get("agency") or None,
                             date_from=args.get("from"), date_to=args.get("to"), now=utcnow())


@roles_required(*VIEWERS)
def page():
    errors: dict[str, list[str]] = {}
    report = None
    try:
        report = _report()
    except InvalidInput as refused:
        for item in refused.field_errors:
            errors.setdefault(item.field, []).append(_(item.message) % item.params if item.params else _(item.message))
    agencies = []
    if current_account().role == Role.operator:
        agencies = db_session().execute(select(Agency.code, Agency.name).order_by(Agency.name)).all()
    chart = None
    if report is not None:
        chart = Markup(export.chart_svg(report, on_time_label=_("Đúng hạn"), late_label=_("Quá hạn"),
                                        title=_("Hồ sơ giải quyết đúng hạn và quá hạn theo cơ quan")))
    return render_template("statistics/page.html", report=report, errors=errors, columns=COLUMNS, chart=chart,
                           agencies=agencies, args=request.args), (422 if errors else 200)


@roles_required(*VIEWERS)
def export_xlsx():
    report = _report()
    response = Response(export.xlsx(report, translate=_),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"thong-ke-{report.period.first:%Y%m%d}-{report.period.last:%Y%m%d}.xlsx"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@api_auth(*VIEWERS)
def api_statistics():
    return jsonify(report_json(_report()))
