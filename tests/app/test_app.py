from postal_gateway.core.db import UTCDateTime


def test_healthz_answers_json(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_unknown_api_path_is_problem_json(client):
    response = client.get("/api/v1/does-not-exist")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 404


def test_unknown_page_is_a_vietnamese_page(client):
    response = client.get("/khong-co")
    assert response.status_code == 404
    assert "Không tìm thấy" in response.get_data(as_text=True)


def test_naive_datetimes_are_refused_by_the_column_type():
    import datetime

    import pytest

    with pytest.raises(ValueError):
        UTCDateTime().process_bind_param(datetime.datetime(2026, 1, 1), dialect=type("D", (), {"name": "postgresql"}))
