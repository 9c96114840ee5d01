"""One helper turns a refused input into the per-field messages a page shows beside its form."""
from __future__ import annotations

from postal_gateway.core.domain import N_, FieldError, InvalidInput, NotFound
from postal_gateway.web.errors import errors_by_field


def test_every_message_is_grouped_under_its_field_in_the_order_found(app):
    error = InvalidInput(N_("Dữ liệu không hợp lệ."), field_errors=[
        FieldError("phone", N_("Bắt buộc.")),
        FieldError("full_name", N_("Bắt buộc.")),
        FieldError("phone", N_("Tối đa %(max)s ký tự."), {"max": 15}),
    ])
    with app.test_request_context("/?lang=vi"):
        found = errors_by_field(error)
    assert list(found) == ["phone", "full_name"]
    assert found["phone"] == ["Bắt buộc.", "Tối đa 15 ký tự."]
    assert found["full_name"] == ["Bắt buộc."]


def test_messages_are_in_the_reader_language(app):
    error = InvalidInput.on_field("phone", N_("Bắt buộc."))
    with app.test_request_context("/?lang=en"):
        assert errors_by_field(error) == {"phone": ["Required."]}


def test_an_error_naming_no_field_goes_under_the_default_field_only_when_the_page_has_one(app):
    error = NotFound(N_("Không tìm thấy"))
    with app.test_request_context("/?lang=vi"):
        assert errors_by_field(error) == {}
        assert errors_by_field(error, default_field="code") == {"code": ["Không tìm thấy"]}
        named = InvalidInput.on_field("phone", N_("Bắt buộc."))
        assert errors_by_field(named, default_field="code") == {"phone": ["Bắt buộc."]}
