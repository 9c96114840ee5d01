"""The public lookup's handlers (R-19): the page and the API, rate-limited per client."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from flask import current_app, render_template, request, session
from flask.views import MethodView
from markupsafe import Markup
from spectree import Response as Documented

from postal_gateway.accounts.one_time_codes import unit_of_work_counting_guesses
from postal_gateway.api.spec import operation
from postal_gateway.core.db import utcnow
from postal_gateway.core.domain import N_, InvalidInput, NotFound, TooManyAttempts
from postal_gateway.core.formatting import format_local_datetime
from postal_gateway.core.pdf import dark_runs, qr_matrix
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.dossiers.services import lookup_url as url
from postal_gateway.lookup import forms, holder_proof, ratelimit, schemas, services
from postal_gateway.lookup.projection import configure_hash_key, id_number_hash
from postal_gateway.web.auth import current_account
from postal_gateway.web.errors import translate


def configure_hash_key_from_app(state) -> None:
    """ID numbers are hashed with the app's secret key (set when the blueprint is registered)."""
    configure_hash_key(state.app.config["SECRET_KEY"])


def _client() -> str:
    return request.remote_addr or "?"


def _search(code: str, id_number: str) -> list:
    """Records for the query; raises the domain errors the pages and API render."""
    if code and id_number:
        raise InvalidInput.on_field("code", N_("Tra cứu theo mã hồ sơ hoặc theo số giấy tờ, không cả hai."))
    if not code and not id_number:
        raise InvalidInput.on_field("code", N_("Nhập mã hồ sơ hoặc số giấy tờ tùy thân."))
    with unit_of_work() as session:  # a dossier's record is made on its first lookup, and kept
        if code:
            ratelimit.by_code.take(_client())
            return [services.find_by_code(session, code)]
        ratelimit.by_id_number.take(_client())
        return services.find_by_id_number(session, id_number)


def qr_svg(text: str) -> Markup:
    """The QR code of ``text`` as a small inline SVG (the same code as on the slip)."""
    return Markup(_qr_svg(text))


@lru_cache(maxsize=2048)
def _qr_svg(text: str) -> str:
    """Drawn once per process for each link (a citizen checks the same dossier again and again): one path of the
    dark runs of each row, a few kilobytes."""
    matrix = qr_matrix(text)
    size = len(matrix)
    runs = [f"M{start} {y}h{length}v1h-{length}z" for y, start, length in dark_runs(matrix)]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="132" height="132" '
        f'role="img" aria-label="QR" shape-rendering="crispEdges"><rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )


def lookup_url(code: str) -> str:
    return url(code, current_app.config["SETTINGS"].public_base_url)


#: the signed session cookie keeps the numbers proven on this browser: {keyed hash: expiry}
PROOFS = "lookup_proofs"


def _proven(id_number: str) -> bool:
    """Whether this browser proved it holds ``id_number`` in the last PROOF_LIFETIME, or its signed-in
    citizen holds it."""
    if holder_proof.is_logged_in_holder(current_account(), id_number):
        return True
    try:
        digest = id_number_hash(holder_proof.number_of(id_number))
    except InvalidInput:
        return False
    expiry = session.get(PROOFS, {}).get(digest)
    return bool(expiry) and datetime.fromisoformat(expiry) > utcnow()


def _remember_proof(digest: str) -> None:
    now = utcnow()
    kept = {key: expiry for key, expiry in session.get(PROOFS, {}).items() if datetime.fromisoformat(expiry) > now}
    kept[digest] = holder_proof.proof_expiry(now).isoformat()
    session[PROOFS] = dict(sorted(kept.items(), key=lambda item: item[1])[-5:])


def _holder_step(action: str, id_number: str, otp: str) -> str:
    """Send or check the holder's one-time code; the note to show ("sent" or "proven")."""
    if action == "send_proof":
        ratelimit.by_proof.take(_client())
        with unit_of_work() as db:
            holder_proof.send_proof_code(db, id_number, utcnow())
        return "sent"
    with unit_of_work_counting_guesses() as db:
        _remember_proof(holder_proof.confirm_proof_code(db, id_number, otp, utcnow()))
    return "proven"


def _messages(refused: InvalidInput | NotFound | TooManyAttempts) -> list[str]:
    return [translate(refused.message, refused.params)] + [
        translate(item.message, item.params) for item in getattr(refused, "field_errors", [])
        if item.message != refused.message
    ]


def lookup_page():
    form = forms.LookupForm.from_request()
    code, id_number = form.code.data, form.id_number.data
    action = form.action.data if request.method == "POST" else ""
    records, error, status, proof_step = [], None, 200, ""
    if id_number and action in ("send_proof", "confirm_proof"):
        try:
            proof_step = _holder_step(action, id_number, form.otp.data)
        except (InvalidInput, TooManyAttempts) as refused:
            proof_step, error = "sent", _messages(refused)
            status = 429 if isinstance(refused, TooManyAttempts) else 422
    if (code or id_number) and error is None:
        try:
            records = _search(code, id_number)
        except (InvalidInput, NotFound) as refused:
            status = 404 if isinstance(refused, NotFound) else 422
            error = _messages(refused)
    names_shown = not id_number or _proven(id_number)
    views = [dict(services.public_view(r, name_shown=names_shown), qr=qr_svg(lookup_url(r.code or r.shipment_number)))
             for r in records]
    return render_template("lookup/lookup.html", code=code, id_number=id_number, records=views,
                           error=error, by_id=bool(id_number), names_shown=names_shown,
                           proof_step=proof_step), status


#: no authentication; what the 200 holds
_PUBLIC_LOOKUP = {
    "security": [],
    "responses": {"200": {"description": "Matching dossiers (one for a code, up to 20 for an ID number)."}},
}


class LookupApi(MethodView):
    """``GET`` and ``POST /api/v1/lookup``: one endpoint (``lookup_api.api_lookup``), one operation per method."""

    @operation(
        resp=Documented(HTTP_200=schemas.LookupFound, HTTP_404=None, HTTP_422=None, HTTP_429=None),
        tags=["lookup"],
        operation_id="lookupDossier",
        openapi_extra=_PUBLIC_LOOKUP,
    )
    def get(self, query: schemas.LookupByQuery):
        """Public lookup of a dossier by its code or the applicant's ID number (R-19)

        No authentication. Give exactly one of `code` or `id_number`. The answer holds only the fields R-19
        lists and a public timeline (no coordinates, staff names or phone numbers). Rate-limited per client:
        30 lookups by code in a burst then one a second; 10 by ID number then one every 20 seconds (429 with
        Retry-After).
        """
        return _found(query.code, query.id_number)

    @operation(
        resp=Documented(HTTP_200=schemas.LookupFound, HTTP_404=None, HTTP_422=None, HTTP_429=None),
        tags=["lookup"],
        operation_id="lookupDossierByBody",
        openapi_extra=_PUBLIC_LOOKUP,
    )
    def post(self, json: schemas.LookupByBody):
        """The same lookup with the code or ID number in the body, out of URLs and access logs

        Preferred for lookups by ID number: a query string is kept by proxies, browser history and access
        logs. Same answer, same rate limits as GET.
        """
        return _found(json.code or "", json.id_number or "")



api_lookup = LookupApi.as_view("api_lookup")

def _found(code: str, id_number: str) -> schemas.LookupFound:
    records = _search(code.strip(), id_number.strip())
    names_shown = not id_number.strip()
    return schemas.LookupFound(dossiers=[
        schemas.LookupDossier.of(r, lookup_url(r.code or r.shipment_number), name_shown=names_shown) for r in records
    ])


def lookup_time(value) -> str:
    """An ISO time string from the store, shown in Vietnam's time."""
    try:
        return format_local_datetime(datetime.fromisoformat(value))
    except (TypeError, ValueError):
        return ""
