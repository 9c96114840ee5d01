"""The local Zalo sandbox's behaviour, without Flask: Zalo's OAuth v4 token refresh, the ZNS template endpoint, the
OA message endpoint, and the OA's followers writing to our webhook, each answering as Zalo does (HTTP 200 with
an ``error`` code), with faults that can be switched on.

It plays Zalo for the demo app only (``SANDBOX_APP_ID``); the approved templates are ours (``zalo.ZNS_TEMPLATES``,
ids ``sandbox-<key>``) and it checks their data against Zalo's parameter limits as Zalo would.
"""
from __future__ import annotations

import json
import logging
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from postal_gateway.core.db import utcnow
from postal_gateway.core.domain import N_
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.notifications import zalo
from postal_gateway.notifications.zalo_sandbox.models import SandboxZaloMessage, SandboxZaloState

log = logging.getLogger(__name__)

#: the demo OA's id, and the follower the sandbox's chat writes as
OA_ID = "sandbox-oa"
DEMO_FOLLOWER = "sandbox-follower-1"
DAILY_QUOTA = 500

#: faults that strike the ZNS and OA endpoints (the next calls, once each unless said otherwise)
ZNS_FAULTS = {
    "token_expired": N_("Access token hết hạn (mã -124): buộc làm mới token"),
    "quota": N_("Hết hạn mức ZNS trong ngày (mã -144)"),
    "template_not_approved": N_("Mẫu ZNS chưa được duyệt (mã -131)"),
    "no_zalo": N_("Số điện thoại không có tài khoản Zalo (mã -118)"),
    "lost_answer": N_("Zalo nhận tin nhưng câu trả lời bị mất (HTTP 504): bên gửi sẽ gửi lại"),
}
#: faults of the events the sandbox posts to our webhook
WEBHOOK_FAULTS = {
    "": N_("Không có lỗi: gửi sự kiện một lần"),
    "duplicate": N_("Gửi trùng sự kiện (hai lần)"),
    "retried": N_("Zalo gửi lại sự kiện 3 lần như khi chờ quá lâu"),
    "forged": N_("Chữ ký sai"),
    "stale": N_("Sự kiện cũ (phát lại sau 10 phút)"),
}
FAULT_ERRORS = {"token_expired": -124, "quota": -144, "template_not_approved": -131, "no_zalo": -118}

#: an HTTP answer: status and JSON body
Answer = tuple[int, dict]


def state(session: Session) -> SandboxZaloState:
    row = session.scalar(select(SandboxZaloState).order_by(SandboxZaloState.id).limit(1))
    if row is None:
        row = SandboxZaloState(access_token="", refresh_token=zalo.SANDBOX_FIRST_REFRESH_TOKEN, faults={},
                               remaining_quota=DAILY_QUOTA)
        session.add(row)
        session.flush()
    return row


def set_fault(session: Session, name: str, times: int = 1) -> None:
    if name not in ZNS_FAULTS:
        raise ValueError(f"unknown fault {name!r}")
    row = state(session)
    faults = dict(row.faults or {})
    if times:
        faults[name] = times
    else:
        faults.pop(name, None)
    row.faults = faults
    session.flush()


def _strike(row: SandboxZaloState, name: str) -> bool:
    faults = dict(row.faults or {})
    left = faults.get(name, 0)
    if not left:
        return False
    if left > 0:
        faults[name] = left - 1
        if faults[name] == 0:
            del faults[name]
    row.faults = faults
    return True


def _error(code: int, message: str) -> Answer:
    return 200, {"error": code, "message": message}


# --- Zalo's endpoints ---------------------------------------------------------------------------------


def token(session: Session, headers: Mapping[str, str], form: Mapping[str, str]) -> Answer:
    """POST /v4/oa/access_token with grant_type=refresh_token: a new pair, the old refresh token spent."""
    row = state(session)
    if headers.get("secret_key") != zalo.SANDBOX_APP_SECRET or form.get("app_id") != zalo.SANDBOX_APP_ID:
        return 200, {"error": -14002, "error_name": "Invalid app", "error_description": "app_id or secret_key invalid"}
    if form.get("grant_type") != "refresh_token":
        return 200, {"error": -14003, "error_name": "Invalid grant_type"}
    if not form.get("refresh_token") or form.get("refresh_token") != row.refresh_token:
        return 200, {"error": -14014, "error_name": "Invalid refresh token",
                     "error_description": "refresh token invalid or already used"}
    row.access_token = "sbx-at-" + secrets.token_urlsafe(24)
    row.refresh_token = "sbx-rt-" + secrets.token_urlsafe(24)
    session.flush()
    return 200, {"access_token": row.access_token, "refresh_token": row.refresh_token, "expires_in": "90000"}


def _authorised(row: SandboxZaloState, headers: Mapping[str, str]) -> bool:
    return bool(row.access_token) and headers.get("access_token") == row.access_token


def zns(session: Session, headers: Mapping[str, str], body: bytes, *, now: datetime) -> Answer:
    """POST /message/template: check the token, the template and its data, the quota; keep the message."""
    row = state(session)
    if _strike(row, "token_expired"):
        row.access_token = ""  # as when it expired: only a refresh helps
        return _error(-124, "Access token is invalid")
    if not _authorised(row, headers):
        return _error(-124, "Access token is invalid")
    try:
        payload = json.loads(body)
    except ValueError:
        return _error(-122, "Body is not a JSON object")
    if not isinstance(payload, dict):
        return _error(-122, "Body is not a JSON object")
    for fault in ("quota", "template_not_approved", "no_zalo"):
        if _strike(row, fault):
            return _error(FAULT_ERRORS[fault], ZNS_FAULTS[fault])
    phone = str(payload.get("phone", ""))
    if not (phone.startswith("84") and phone.isdigit() and 10 <= len(phone) <= 12):
        return _error(-108, "Phone number is invalid")
    template = _template(str(payload.get("template_id", "")))
    if template is None:
        return _error(-109, "Template id is invalid")
    data = payload.get("template_data")
    if not isinstance(data, dict) or _data_problem(template, data):
        return _error(-112, f"Template data invalid: {_data_problem(template, data) if isinstance(data, dict) else ''}")
    if row.remaining_quota <= 0:
        return _error(-144, "OA has exceeded the daily ZNS quota")
    row.remaining_quota -= 1
    tracking_id = str(payload.get("tracking_id", ""))[:64]
    earlier = session.scalar(select(func.count()).select_from(SandboxZaloMessage).where(
        SandboxZaloMessage.kind == "zns", SandboxZaloMessage.tracking_id == tracking_id)) if tracking_id else 0
    message = SandboxZaloMessage(kind="zns", recipient=phone, template_id=str(payload["template_id"]),
                                 template_data={k: str(v) for k, v in data.items()}, tracking_id=tracking_id,
                                 text=render(template, data), msg_id="sbx-" + secrets.token_hex(8),
                                 repeat_of=earlier or None, created_at=now)
    session.add(message)
    session.flush()
    if _strike(row, "lost_answer"):
        return 504, {}
    return 200, {"error": 0, "message": "Success", "data": {
        "msg_id": message.msg_id, "sent_time": str(int(now.timestamp() * 1000)),
        "quota": {"dailyQuota": str(DAILY_QUOTA), "remainingQuota": str(row.remaining_quota)},
    }}


def oa_message(session: Session, headers: Mapping[str, str], body: bytes, *, now: datetime) -> Answer:
    """POST /v3.0/oa/message/cs: a text to a follower."""
    row = state(session)
    if not _authorised(row, headers):
        return _error(-216, "Access token is invalid")
    try:
        payload = json.loads(body)
        user_id = str(payload["recipient"]["user_id"])
        text = str(payload["message"]["text"])
    except (ValueError, KeyError, TypeError):
        return _error(-201, "Parameters are invalid")
    if len(text) > zalo.OA_TEXT_LIMIT:
        return _error(-201, "Text is too long")
    message = SandboxZaloMessage(kind="oa_out", recipient=user_id[:64], text=text, msg_id="sbx-" + secrets.token_hex(8),
                                 created_at=now)
    session.add(message)
    session.flush()
    return 200, {"error": 0, "message": "Success", "data": {"message_id": message.msg_id, "user_id": user_id}}


def _template(template_id: str) -> zalo.ZnsTemplate | None:
    if not template_id.startswith("sandbox-"):
        return None
    key = template_id[len("sandbox-"):]
    return next((t for t in zalo.ZNS_TEMPLATES.values() if t.key == key), None)


def _data_problem(template: zalo.ZnsTemplate, data: Mapping) -> str:
    for name, kind, _source in template.fields:
        value = data.get(name)
        if value is None:
            return f"{name} missing"
        if len(str(value)) > zalo.FIELD_LIMITS[kind][0]:
            return f"{name} longer than {zalo.FIELD_LIMITS[kind][0]}"
    return ""


def render(template: zalo.ZnsTemplate, data: Mapping) -> str:
    text = template.body
    for name, _kind, _source in template.fields:
        text = text.replace(f"<{name}>", str(data.get(name, "")))
    return text


# --- the followers' side: events posted to our webhook --------------------------------------------------

#: (url, headers, body) -> HTTP status; the default posts over HTTP, the tests hand in the app's test client
Poster = Callable[[str, Mapping[str, str], bytes], int]


def user_event(event_name: str, follower: str, *, text: str = "", now_ms: int | None = None) -> dict:
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    event = {"app_id": zalo.SANDBOX_APP_ID, "user_id_by_app": follower, "event_name": event_name,
             "timestamp": str(now_ms)}
    if event_name == "follow":
        event.update({"oa_id": OA_ID, "follower": {"id": follower}, "source": "oa_profile"})
    else:
        event.update({"sender": {"id": follower}, "recipient": {"id": OA_ID},
                      "message": {"text": text, "msg_id": "sbx-in-" + secrets.token_hex(8)}})
    return event


def post_event(event: dict, *, webhook_url: str, poster: Poster, fault: str = "") -> list[int]:
    """Sign and post ``event`` as Zalo does, with the chosen fault; the HTTP status of each delivery."""
    if fault == "stale":
        event = {**event, "timestamp": str(int(event["timestamp"]) - 10 * 60 * 1000)}
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
    mac = zalo.signature(zalo.SANDBOX_APP_ID, body, event["timestamp"], zalo.SANDBOX_OA_SECRET_KEY)
    if fault == "forged":
        mac = "mac=" + "0" * 64
    headers = {"Content-Type": "application/json", "X-ZEvent-Signature": mac}
    times = {"duplicate": 2, "retried": 3}.get(fault, 1)
    return [poster(webhook_url, headers, body) for _ in range(times)]


def http_poster(url: str, headers: Mapping[str, str], body: bytes) -> int:
    if not url.startswith(("http://", "https://")):
        raise ValueError("the webhook address must be http(s)")
    request = urllib.request.Request(url, data=body, method="POST", headers=dict(headers))
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - http(s) checked
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError as error:
        log.warning("zalo sandbox: webhook unreachable: %s", error.__class__.__name__)
        return 0


def record_incoming(session: Session, follower: str, text: str, event: dict, now: datetime) -> None:
    message = event.get("message") or {}
    session.add(SandboxZaloMessage(kind="oa_in", recipient=follower, text=text or "(theo dõi OA)",
                                   msg_id=str(message.get("msg_id", "")), created_at=now))
    session.flush()


def conversation(session: Session, follower: str, limit: int = 50) -> list[SandboxZaloMessage]:
    rows = session.scalars(select(SandboxZaloMessage).where(
        SandboxZaloMessage.kind.in_(("oa_in", "oa_out")), SandboxZaloMessage.recipient == follower)
        .order_by(SandboxZaloMessage.id.desc()).limit(limit)).all()
    return list(reversed(rows))


def notices(session: Session, phone: str = "", limit: int = 50) -> list[SandboxZaloMessage]:
    query = select(SandboxZaloMessage).where(SandboxZaloMessage.kind == "zns")
    if phone:
        query = query.where(SandboxZaloMessage.recipient == zalo.zns_phone(phone))
    return list(session.scalars(query.order_by(SandboxZaloMessage.id.desc()).limit(limit)).all())


def form_of(body: bytes) -> dict[str, str]:
    return {key: values[0] for key, values in urllib.parse.parse_qs(body.decode(errors="replace")).items()}


def in_process_transport(session_factory: Callable[[], Session]) -> Callable:
    """A ``zalo.Transport`` that answers as the sandbox's endpoints without HTTP, each call in a session of its own
    (the tests, and a worker that cannot reach the web app)."""
    def transport(url: str, headers: Mapping[str, str], body: bytes, _timeout: float) -> tuple[int, bytes]:
        with session_factory() as session, unit_of_work(session):
            if url.endswith("/v4/oa/access_token"):
                status, answer = token(session, headers, form_of(body))
            elif url.endswith("/message/template"):
                status, answer = zns(session, headers, body, now=utcnow())
            elif url.endswith("/oa/message/cs"):
                status, answer = oa_message(session, headers, body, now=utcnow())
            else:
                status, answer = 404, {}
        return status, json.dumps(answer).encode()

    return transport
