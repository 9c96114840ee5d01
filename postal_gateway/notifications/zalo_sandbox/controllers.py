"""The local Zalo sandbox's handlers: Zalo's endpoints as Zalo answers them, and the phone page."""
from __future__ import annotations

from flask import jsonify, redirect, render_template, request, url_for

from postal_gateway.core.db import utcnow
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.notifications.zalo_sandbox import gateway

#: posts the sandbox's follower events to our webhook (tests swap in the test client)
poster: gateway.Poster = gateway.http_poster


def _headers() -> dict[str, str]:
    # Zalo's header names have underscores, which gunicorn and werkzeug drop: the client also sends them hyphenated
    return {name: request.headers.get(name) or request.headers.get(name.replace("_", "-"), "")
            for name in ("secret_key", "access_token")}


def token():
    with unit_of_work() as session:
        status, answer = gateway.token(session, _headers(), request.form.to_dict())
    return jsonify(answer), status


def zns():
    with unit_of_work() as session:
        status, answer = gateway.zns(session, _headers(), request.get_data()[:65536], now=utcnow())
    return jsonify(answer), status


def oa_message():
    with unit_of_work() as session:
        status, answer = gateway.oa_message(session, _headers(), request.get_data()[:65536], now=utcnow())
    return jsonify(answer), status


def _phone_arg() -> str:
    return "".join(char for char in request.values.get("phone", "") if char.isdigit() or char == "+")[:16]


def phone():
    follower = gateway.DEMO_FOLLOWER
    wanted = _phone_arg()
    with unit_of_work() as session:  # the state row is made on the first visit
        row = gateway.state(session)
        notices = gateway.notices(session, wanted)
        chat = gateway.conversation(session, follower)
        faults = dict(row.faults or {})
    return render_template(
        "zalo_sandbox/phone.html", notices=notices, chat=chat, phone=wanted, follower=follower,
        zns_faults=gateway.ZNS_FAULTS, webhook_faults=gateway.WEBHOOK_FAULTS, faults=faults,
        remaining_quota=row.remaining_quota, sent=request.args.get("sent", ""),
    )


def chat():
    follower = gateway.DEMO_FOLLOWER
    action = request.form.get("action", "send")
    text = " ".join(request.form.get("text", "").split())[:200]
    fault = request.form.get("fault", "")
    fault = fault if fault in gateway.WEBHOOK_FAULTS else ""
    event = gateway.user_event("follow" if action == "follow" else "user_send_text", follower, text=text)
    if action != "follow" and not text:
        return redirect(url_for("zalo_sandbox.phone", phone=_phone_arg()), code=303)
    with unit_of_work() as session:
        gateway.record_incoming(session, follower, text, event, utcnow())
    # our webhook on the host that served this page (PUBLIC_BASE_URL in `make run`, the live server in tests)
    webhook_url = f"{request.host_url.rstrip('/')}/zalo/webhook"
    statuses = gateway.post_event(event, webhook_url=webhook_url, poster=poster, fault=fault)
    return redirect(url_for("zalo_sandbox.phone", phone=_phone_arg(), sent=",".join(map(str, statuses))) + "#chat",
                    code=303)


def faults():
    name = request.form.get("fault", "")
    with unit_of_work() as session:
        if name in gateway.ZNS_FAULTS:
            gateway.set_fault(session, name, 1 if request.form.get("on") == "1" else 0)
    return redirect(url_for("zalo_sandbox.phone", phone=_phone_arg()), code=303)
