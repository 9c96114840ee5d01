"""A reason typed by the one-stop officer as a sentence ends the message with one full stop, not two."""
import pytest

from postal_gateway.notifications import templates


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_a_reason_ending_in_a_full_stop_is_not_followed_by_another(locale):
    apology = templates.render("apology", {
        "code": "000.00.20.H10-261109-0001", "reason": "Hồ sơ phải chờ bổ sung giấy tờ.  ", "new_date": "20/11/2026",
        "agency_name": "Sở Thông tin và Truyền thông", "lookup_url": "http://127.0.0.1:8000/lookup",
        "issuer_name": "Sở Thông tin và Truyền thông", "form_url": "http://127.0.0.1:8000/dossiers/X/forms/1.pdf",
    }, locale)
    supplement = templates.render("supplement_requested", {
        "code": "000.00.20.H10-261109-0001", "reasons": "Bản sao bị mờ.", "lookup_url": "http://127.0.0.1:8000/lookup",
    }, locale)
    for text in (apology.body, supplement.body):
        assert ".." not in text
    assert ("giấy tờ. Ngày hẹn trả mới" if locale == "vi" else "giấy tờ. New return date") in apology.body
    assert "Bản sao bị mờ." in supplement.body


def test_a_reason_without_a_stop_is_left_as_it_is():
    body = templates.render("dossier_rejected", {
        "code": "X", "reasons": "Không thuộc thẩm quyền", "lookup_url": "u",
    }, "vi").body
    assert "Lý do: Không thuộc thẩm quyền. Tra cứu" in body
