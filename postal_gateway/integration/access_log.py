"""gunicorn's access log without personal data: ``gunicorn.conf.py`` names ``MaskingAccessLogger``.

A lookup by ID number, a staff search for a citizen or a one-time code can arrive in a query string
(``GET /api/v1/lookup?id_number=…`` from older clients, ``/citizens?q=…``); gunicorn writes the request
line, the query string and the Referer as they came. Every such value is masked before the line is
written, with the same rules as the app's JSON logs (``logs.redact``).
"""
from __future__ import annotations

from gunicorn.glogging import Logger

from postal_gateway.integration.logs import redact

#: atoms holding a bare query string: no leading "?" for the masking rule to anchor on
_BARE_QUERY_ATOMS = ("q", "{query_string}e")


def _redact_bare_query(query: str) -> str:
    return redact("?" + query)[1:]


class MaskingAccessLogger(Logger):
    """gunicorn's Logger whose access-log atoms (request line, query, Referer, any header or
    environ value a custom format may print) are redacted."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name, value in atoms.items():
            if not isinstance(value, str):
                continue
            atoms[name] = _redact_bare_query(value) if name in _BARE_QUERY_ATOMS else redact(value)
        return atoms
