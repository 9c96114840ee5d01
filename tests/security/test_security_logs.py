"""Personal data out of URLs and logs (Nghị định 13/2023/NĐ-CP): the lookup by ID number goes in a
request body, and every log that prints an address masks ID numbers, phones, searches and codes."""
from __future__ import annotations

import io
import json
import logging
import runpy
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
import pythonjsonlogger.json
from gunicorn.config import Config

from postal_gateway.integration import logs
from postal_gateway.lookup import ratelimit
from tests.lookup.test_lookup import journey  # noqa: F401 - a dossier with a lookup record, by ID 001098765432

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ID_NUMBER = "001098765432"


@pytest.fixture(autouse=True)
def _fresh_buckets():
    ratelimit.reset_all()
    yield
    ratelimit.reset_all()


class FormFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (attributes.get("method") or "get").lower(), "fields": []})
        elif tag == "input" and self.forms:
            self.forms[-1]["fields"].append(attributes.get("name"))


# --- the lookup by ID number in a body ---------------------------------------------------------------


def test_the_lookup_form_sends_the_id_number_in_the_body(client):
    finder = FormFinder()
    finder.feed(client.get("/lookup").get_data(as_text=True))
    (form,) = [f for f in finder.forms if "id_number" in f["fields"]]
    assert form["method"] == "post" and "csrf_token" in form["fields"]


def test_the_page_answers_a_posted_id_number_and_still_a_linked_code(client, journey):  # noqa: F811
    dossier, _citizen = journey
    posted = client.post("/lookup", data={"id_number": ID_NUMBER, "code": ""})
    assert posted.status_code == 200 and dossier.code in posted.get_data(as_text=True)
    # the QR code's address (GET ?code=) keeps working
    linked = client.get(f"/lookup?code={dossier.code}")
    assert linked.status_code == 200 and "Nguyễn Văn Dân" in linked.get_data(as_text=True)
    refused = client.post("/lookup", data={"id_number": ID_NUMBER, "code": dossier.code})
    assert refused.status_code == 422


def test_the_api_takes_the_id_number_in_a_json_body_and_still_in_the_query(client, journey):  # noqa: F811
    dossier, _citizen = journey
    by_body = client.post("/api/v1/lookup", json={"id_number": ID_NUMBER})
    by_query = client.get(f"/api/v1/lookup?id_number={ID_NUMBER}")
    assert by_body.status_code == by_query.status_code == 200
    assert by_body.get_json() == by_query.get_json()
    assert by_body.get_json()["dossiers"][0]["code"] == dossier.code


def test_a_malformed_api_body_is_a_problem_naming_the_field(client):
    not_json = client.post("/api/v1/lookup", data="id_number=1", content_type="text/plain")
    assert not_json.status_code == 422 and not_json.mimetype == "application/problem+json"
    wrong_type = client.post("/api/v1/lookup", json={"id_number": 1098765432})
    assert wrong_type.status_code == 422 and wrong_type.mimetype == "application/problem+json"
    assert [error["field"] for error in wrong_type.get_json()["errors"]] == ["id_number"]


# --- the app's own logs ---------------------------------------------------------------------------


@pytest.mark.parametrize("url, kept", [
    ("/api/v1/lookup?id_number=C1234567", "/api/v1/lookup?id_number=***"),
    ("/citizens?q=Nguy%E1%BB%85n+V%C4%83n+An", "/citizens?q=***"),
    ("/ops/outbox?phone=0912000101&lang=en", "/ops/outbox?phone=***&lang=en"),
    ("/lookup?lang=vi&code=000.00.20.H10-261207-0001", "/lookup?lang=vi&code=***"),
    ("/statistics?quarter=3&agency=000.00.20.H10", "/statistics?quarter=3&agency=000.00.20.H10"),
])
def test_personal_query_values_are_masked_and_others_kept(url, kept):
    assert logs.redact(url) == kept


def test_a_request_line_of_the_development_server_reaches_the_json_log_masked():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("test_security_logs.werkzeug")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:  # werkzeug's own format: address, time, quoted request line, status
        logger.info('%s - - [%s] "%s" %s -', "127.0.0.1", "30/Nov/2026 20:00:00",
                    "GET /lookup?id_number=B9876543 HTTP/1.1", 200)
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert "B9876543" not in line["message"] and "/lookup?id_number=***" in line["message"]


# --- gunicorn's access log ----------------------------------------------------------------------------


def _gunicorn_logger(access_log_format: str | None = None):
    """The logger gunicorn builds from gunicorn.conf.py, writing its access lines to a buffer."""
    settings = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
    config = Config()
    for name in ("logger_class", "accesslog"):
        config.set(name, settings[name])
    if access_log_format:
        config.set("access_log_format", access_log_format)
    logger = config.logger_class(config)
    buffer = io.StringIO()
    for handler in logger.access_log.handlers:
        if getattr(handler, "_gunicorn", False):  # not pytest's capturing handlers
            handler.setStream(buffer)
    return logger, buffer


def _request(path: str, query: str, referer: str):
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"{path}?{query}", "PATH_INFO": path, "QUERY_STRING": query,
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.7", "HTTP_REFERER": referer,
               "HTTP_USER_AGENT": "Mozilla/5.0"}
    request = SimpleNamespace(headers=[("REFERER", referer), ("USER-AGENT", "Mozilla/5.0")])
    response = SimpleNamespace(status="200 OK", sent=512, headers=[("Content-Type", "text/html")])
    return response, request, environ, timedelta(milliseconds=12)


def test_gunicorn_conf_names_the_masking_logger_for_the_procfile_and_make_run():
    assert "--config gunicorn.conf.py" in (PROJECT_ROOT / "Procfile").read_text().split("web:", 1)[1].splitlines()[0]
    assert "gunicorn --config gunicorn.conf.py" in (PROJECT_ROOT / "Makefile").read_text()


def test_gunicorns_access_log_masks_the_request_line_and_the_referer():
    logger, buffer = _gunicorn_logger()
    logger.access(*_request("/api/v1/lookup", "id_number=070085001234&lang=vi",
                            "https://gw.example.vn/citizens?q=Tr%E1%BA%A7n+Th%E1%BB%8B&phone=0987000202"))
    line = buffer.getvalue()
    assert '"GET /api/v1/lookup?id_number=***&lang=vi HTTP/1.1" 200 512' in line
    assert "/citizens?q=***&phone=***" in line
    for secret in ("070085001234", "0987000202", "Tr%E1"):
        assert secret not in line


def test_gunicorns_access_log_masks_a_custom_format_printing_the_query_and_headers():
    logger, buffer = _gunicorn_logger('%(U)s %(q)s %({referer}i)s %({raw_uri}e)s')
    logger.access(*_request("/lookup", "code=000.00.20.H10-261207-0001",
                            "https://gw.example.vn/lookup?phone=0912000101"))
    assert buffer.getvalue().strip() == "/lookup code=*** https://gw.example.vn/lookup?phone=*** /lookup?code=***"


def test_json_lines_come_from_python_json_logger_with_extras_and_tracebacks_masked_and_vietnamese_readable():
    formatter = logs.JsonFormatter()
    assert isinstance(formatter, pythonjsonlogger.json.JsonFormatter)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("test_security_logs.extras")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("Hồ sơ %s đã gửi", "D-7", extra={"recipient": "+84912345678", "attempt": 2, "_private": "x"})
        try:
            raise ValueError(f"no citizen with ID number {ID_NUMBER}")
        except ValueError:
            logger.exception("lookup failed")
    finally:
        logger.removeHandler(handler)
    first, second = stream.getvalue().splitlines()
    assert "Hồ sơ D-7 đã gửi" in first  # not \u-escaped
    entry = json.loads(first)
    assert list(entry)[:4] == ["time", "level", "logger", "message"] and entry["time"].endswith("+00:00")
    assert entry["recipient"] == "********678" and entry["attempt"] == 2 and "_private" not in entry
    failure = json.loads(second)
    assert failure["level"] == "ERROR" and "ValueError" in failure["exception"] and ID_NUMBER not in failure["exception"]
