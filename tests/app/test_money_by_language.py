"""Money on a page is written the way the reader's language groups numbers (issue 15.12); messages and
documents keep the Vietnamese figure (one figure per dossier in every message)."""
from __future__ import annotations

from flask_babel import refresh

from postal_gateway.core.formatting import format_vnd


def test_pages_group_money_by_the_chosen_language(app):
    with app.test_request_context("/?lang=en"):
        refresh()
        assert app.jinja_env.from_string("{{ 1234000|vnd }}").render() == "1,234,000 ₫"
    with app.test_request_context("/"):
        refresh()
        assert app.jinja_env.from_string("{{ 1234000|vnd }}").render() == "1.234.000 ₫"
    assert format_vnd(1234000) == "1.234.000 ₫"  # messages and official documents
