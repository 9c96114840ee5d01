"""Security headers on every answer: what the browser may run, frame, sniff, send and keep.

The Content-Security-Policy allows scripts only from our own files (no inline ``<script>``, no
``on*=`` attribute, no ``javascript:`` address), so markup injected into a page cannot run. Pages and
API answers that carry personal data are marked ``Cache-Control: no-store`` so neither the browser
nor a proxy keeps a copy (Nghị định 13/2023/NĐ-CP: personal data shown no more than needed).
"""
from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_login import current_user

#: Every directive the browser enforces. Inline style *attributes* stay allowed (a few templates
#: wrap long dossier codes with them); ``<style>`` elements and inline scripts do not.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
))
# form-action is left out on purpose: paying a fee posts to us and is redirected to VNPay's
# gateway, and browsers apply form-action to that redirect too.

#: same-origin keeps the Referer on our own requests (Flask-WTF checks it on HTTPS, the language
#: switch returns to it) and never sends an address with a dossier code or ID number elsewhere.
REFERRER_POLICY = "same-origin"

#: one year; without includeSubDomains, since the agency's other hosts are not ours to commit.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"

#: endpoints that show nothing of a person to an anonymous reader, so browsers may cache them
PUBLIC_ENDPOINTS = frozenset({
    "web.home",
    "healthz",
    "choose_language",
    "catalogue.list_procedures",
    "catalogue.procedure_detail",
    "catalogue.not_by_post",
    "catalogue_api.api_list_procedures",
    "catalogue_api.api_procedure",
    "catalogue_api.api_agency",
    "contracts.public_postage",
    "api.docs",
    "api.openapi_document",
})


def is_static_file(endpoint: str | None) -> bool:
    """The app's and each area's static folder (CSS, scripts, fonts): never personal."""
    return endpoint is not None and (endpoint == "static" or endpoint.endswith(".static"))


def holds_personal_data(endpoint: str | None) -> bool:
    """Private unless proven public: every page a signed-in person sees, every answer to a caller
    with a token, and every endpoint not listed public (lookup results, slips, activation pages)."""
    if is_static_file(endpoint):
        return False
    if "Authorization" in request.headers or endpoint not in PUBLIC_ENDPOINTS:
        return True
    # Asked last: loading the signed-in person costs a query, and most answers are settled above.
    return bool(current_user and current_user.is_authenticated)


def apply_security_headers(response: Response, *, hsts: bool) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors for browsers without CSP 2
    headers.setdefault("Referrer-Policy", REFERRER_POLICY)
    if hsts:
        headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    if holds_personal_data(request.endpoint):
        # Overrides send_file's "no-cache" too: a slip PDF must not stay on a shared phone.
        headers["Cache-Control"] = "no-store"
        headers.setdefault("Pragma", "no-cache")  # HTTP/1.0 proxies
    return response


def init_app(app: Flask) -> None:
    @app.after_request
    def _security_headers(response: Response) -> Response:
        # HTTPS is what secure cookies already promise; read per request so a test can flip it.
        return apply_security_headers(response, hsts=current_app.config["SETTINGS"].secure_cookies)
