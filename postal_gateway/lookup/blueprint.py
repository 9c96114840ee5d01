"""URLs of the public lookup (R-19): no login, rate-limited per client.

# GET  /lookup?code=…|?id_number=…        lookup_page  (the QR code's address)
# POST /lookup  code=…|id_number=…        lookup_page  (the page's form: nothing personal in the URL)
# GET  /api/v1/lookup?code=…|?id_number=…  api_lookup   (kept for existing clients)
# POST /api/v1/lookup  {"code"|"id_number"}  api_lookup

An ID number in a query string lands in access logs, proxies and browser history; the forms and
new clients send it in the body (Nghị định 13/2023/NĐ-CP). The logs mask it either way.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request
from markupsafe import Markup

from postal_gateway.db import db_session
from postal_gateway.domain import N_, InvalidInput, NotFound
from postal_gateway.dossiers.services import lookup_url as url
from postal_gateway.errors import translate
from postal_gateway.formatting import format_local_datetime
from postal_gateway.lookup import ratelimit, services
from postal_gateway.lookup.projection import configure_hash_key
from postal_gateway.pdf import qr_matrix

blueprint = Blueprint("lookup", __name__, template_folder="templates")
api = Blueprint("lookup_api", __name__, url_prefix="/api/v1")


@blueprint.record_once
def _configure(state) -> None:
    configure_hash_key(state.app.config["SECRET_KEY"])


def _client() -> str:
    return request.remote_addr or "?"


def _search(code: str, id_number: str) -> list:
    """Records for the query; raises the domain errors the pages and API render."""
    if code and id_number:
        raise InvalidInput.on_field("code", N_("Tra cứu theo mã hồ sơ hoặc theo số giấy tờ, không cả hai."))
    if code:
        ratelimit.by_code.take(_client())
        records = [services.find_by_code(db_session, code)]
    elif id_number:
        ratelimit.by_id_number.take(_client())
        records = services.find_by_id_number(db_session, id_number)
    else:
        raise InvalidInput.on_field("code", N_("Nhập mã hồ sơ hoặc số giấy tờ tùy thân."))
    db_session.commit()  # records made on first lookup
    return records


def qr_svg(text: str) -> Markup:
    """The QR code of ``text`` as a small inline SVG (the same code as on the slip)."""
    matrix = qr_matrix(text)
    size = len(matrix)
    cells = "".join(
        f'<rect x="{x}" y="{y}" width="1" height="1"/>' for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark
    )
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="132" height="132" '
        f'role="img" aria-label="QR" shape-rendering="crispEdges"><rect width="{size}" height="{size}" fill="#fff"/>'
        f'<g fill="#000">{cells}</g></svg>'
    )


def lookup_url(code: str) -> str:
    return url(code, current_app.config["SETTINGS"].public_base_url)


@blueprint.route("/lookup", methods=["GET", "POST"])
def lookup_page():
    given = request.form if request.method == "POST" else request.args
    code = (given.get("code") or "").strip()[:64]
    id_number = (given.get("id_number") or "").strip()[:32]
    records, error, status = [], None, 200
    if code or id_number:
        try:
            records = _search(code, id_number)
        except (InvalidInput, NotFound) as refused:
            db_session.rollback()
            status = 404 if isinstance(refused, NotFound) else 422
            error = [translate(refused.message, refused.params)] + [
                translate(item.message, item.params) for item in refused.field_errors if item.message != refused.message
            ]
    views = [dict(services.public_view(r), qr=qr_svg(lookup_url(r.code))) for r in records]
    return render_template("lookup/lookup.html", code=code, id_number=id_number, records=views,
                           error=error, by_id=bool(id_number)), status


def _json_view(record) -> dict:
    view = services.public_view(record)
    view["received_at"] = view["received_at"].isoformat()
    view["appointment_date"] = view["appointment_date"].isoformat()
    view["lookup_url"] = lookup_url(record.code)
    return view


def _api_query() -> tuple[str, str]:
    """(code, id_number) from the query string (GET) or a JSON object body (POST)."""
    if request.method == "GET":
        return request.args.get("code", ""), request.args.get("id_number", "")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(N_("Nội dung yêu cầu phải là một đối tượng JSON."))
    values = {name: body.get(name) or "" for name in ("code", "id_number")}
    wrong = [name for name, value in values.items() if not isinstance(value, str)]
    if wrong:
        raise InvalidInput.on_field(wrong[0], N_("Phải là chuỗi ký tự."))
    return values["code"], values["id_number"]


@api.route("/lookup", methods=["GET", "POST"])
def api_lookup():
    code, id_number = _api_query()
    records = _search(code.strip(), id_number.strip())
    return jsonify(dossiers=[_json_view(r) for r in records])


@blueprint.app_template_filter("lookup_time")
def _lookup_time(value) -> str:
    """An ISO time string from the store, shown in Vietnam's time."""
    from datetime import datetime


    try:
        return format_local_datetime(datetime.fromisoformat(value))
    except (TypeError, ValueError):
        return ""
