"""Turns errors into answers: problem+json on the API, a plain page in the reader's language elsewhere."""
from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from postal_gateway.core.db import db_session
from postal_gateway.core.domain import (
    N_,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyAttempts,
)

log = logging.getLogger(__name__)

STATUS_OF_DOMAIN_ERROR = {
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    Forbidden: 403,
    TooManyAttempts: 429,
}

# Titles as message ids; translated when rendered.
TITLES = {
    400: "Yêu cầu không hợp lệ",
    401: "Cần đăng nhập",
    403: "Không được phép",
    404: "Không tìm thấy",
    405: "Phương thức không được hỗ trợ",
    409: "Xung đột dữ liệu",
    413: "Tệp quá lớn",
    415: "Định dạng không được hỗ trợ",
    422: "Dữ liệu không hợp lệ",
    429: "Quá nhiều yêu cầu",
    500: "Lỗi hệ thống",
}


def wants_problem_json() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/payments/vnpay/ipn")


def translate(message: str, params: dict | None = None) -> str:
    text = gettext(message)
    return text % params if params else text


def errors_by_field(error: DomainError, default_field: str | None = None) -> dict[str, list[str]]:
    """What a page shows beside each field of its form: every message of a refused input, in the
    reader's language, grouped by field in the order found. An error that names no field is shown
    under ``default_field`` when the page has one (else only as the page's message)."""
    found: dict[str, list[str]] = {}
    for item in error.field_errors:
        found.setdefault(item.field, []).append(translate(item.message, item.params))
    if not found and default_field:
        found[default_field] = [translate(error.message, error.params)]
    return found


def problem(status: int, detail: str = "", *, field_errors: list[dict] | None = None, **extra) -> Response:
    body = {
        "type": "about:blank",
        "title": translate(TITLES.get(status, TITLES[400])),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if field_errors:
        body["errors"] = field_errors
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def render_error(status: int, detail: str, field_errors: list[dict] | None = None) -> Response:
    if wants_problem_json():
        return problem(status, detail, field_errors=field_errors)
    html = render_template(
        "error.html",
        status=status,
        title=translate(TITLES.get(status, TITLES[400])),
        detail=detail,
        field_errors=field_errors or [],
    )
    return Response(html, status=status, mimetype="text/html")


def domain_error_response(error: DomainError) -> Response:
    status = next(
        (code for kind, code in STATUS_OF_DOMAIN_ERROR.items() if isinstance(error, kind)), 422
    )
    field_errors = [
        {"field": item.field, "message": translate(item.message, item.params)}
        for item in error.field_errors
    ]
    response = render_error(status, translate(error.message, error.params), field_errors)
    if isinstance(error, TooManyAttempts):
        response.headers["Retry-After"] = str(error.retry_after_seconds)
    return response


def discard_the_failed_transaction() -> None:
    """Start the error page on a fresh session. The unit of work has already rolled back what a
    controller changed, but a failure outside one (a query in a request hook or a template, a view not
    yet in a unit of work) leaves the request's transaction open, and on PostgreSQL a failed statement
    refuses every later one, the error page's own included. Ending the session rolls that back; the
    teardown would do the same, but only after this page is rendered."""
    db_session.remove()


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, domain_error_response)

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return render_error(400, translate("Phiên làm việc đã hết hạn. Vui lòng tải lại trang và thử lại."))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        detail = ""
        if error.code == 413:
            detail = translate("Tệp tải lên vượt quá dung lượng cho phép.")
        elif error.code == 404:
            detail = translate("Trang hoặc tài nguyên bạn tìm không tồn tại.")
        elif error.code == 405:
            detail = translate("Phương thức không được hỗ trợ cho địa chỉ này.")
        elif error.code == 401:
            detail = translate("Vui lòng đăng nhập.")
        response = render_error(error.code or 500, detail)
        if error.code == 405 and getattr(error, "valid_methods", None):
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(DataError)
    def _unstorable_value(error: DataError):
        # The database refused a value no check caught (a number past its column, a NUL, text too
        # long): the input is at fault, nothing was written, and the caller hears so, not a 500.
        log.warning("database refused a value on %s %s: %s", request.method, request.path, error.orig)
        discard_the_failed_transaction()
        return render_error(422, translate(N_(
            "Dữ liệu gửi lên có giá trị không lưu được (quá lớn, quá dài hoặc chứa ký tự không hợp lệ).")))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        discard_the_failed_transaction()
        return render_error(500, translate("Đã có lỗi xảy ra. Vui lòng thử lại sau ít phút."))
