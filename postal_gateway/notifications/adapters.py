"""The gateways a message can leave by: an HTTP SMS gateway, SMTP, or the development outbox.

Each adapter's ``deliver(message)`` returns the gateway's reference (or "") when the message was
accepted, raises ``DeliveryError`` when trying again later may help (timeout, 5xx, 429, a 4xx SMTP
answer) and ``PermanentDeliveryError`` when it will not (the gateway refused the message itself).
Error texts name the gateway and the answer, never the recipient.

Delivery is at least once: a worker killed after the gateway accepted a message but before the
"sent" mark was committed delivers it again. Every adapter whose gateway can recognise a repeat is
given the outbox id as its idempotency key (``idempotency_key``): the HTTP SMS gateway as the
``Idempotency-Key`` header and the body's ``reference``, SMTP as the ``Message-ID``.
"""
from __future__ import annotations

import json
import logging
import smtplib
import socket
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Protocol

from postal_gateway.core.config import Settings

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """The gateway did not accept the message this time; it stays queued for a retry."""


class PermanentDeliveryError(DeliveryError):
    """The gateway refused the message for good (bad number, refused address): no retry."""


def idempotency_key(message) -> str:
    """The same for every attempt at one outbox row, and different for any other row."""
    return f"outbox-{message.id}"


class DeliveryAdapter(Protocol):
    def deliver(self, message) -> str | None:
        """Hand the message to the SMS or e-mail gateway, or raise DeliveryError."""


class DevelopmentOutbox:
    """Sends nothing: the outbox row itself is the delivered message (read it on /ops/outbox).

    The stored row shows a one-time code masked, so with ``show_text`` (``DEVELOPMENT_MESSAGES``, on in
    ``make run``) the delivered text, code included, is also written to the worker's log: a developer
    can then activate an account or record a consent with no SMS gateway. Never beside a real gateway
    (``adapter_for`` refuses it)."""

    def __init__(self, *, show_text: bool = False) -> None:
        self.show_text = show_text

    def deliver(self, message) -> str:
        if self.show_text:
            channel = getattr(message.channel, "value", message.channel)
            log.warning("development outbox (nothing sent): message %s, %s to user %s: %s",
                        message.id, channel, message.recipient_user_id, message.body)
        return ""


class HttpSmsGateway:
    """POSTs ``{"to", "text", "sender", "reference"}`` as JSON; any 2xx is accepted.

    The message's own reference is also sent as ``Idempotency-Key``: if a worker dies between the
    gateway's answer and our commit, the retry is recognised by a gateway that honours the header."""

    def __init__(self, url: str, *, token: str = "", sender: str = "BUUDIEN", timeout: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("the SMS gateway address must be http(s)")
        self.url, self.token, self.sender, self.timeout = url, token, sender, timeout

    def deliver(self, message) -> str:
        reference = idempotency_key(message)
        body = json.dumps(
            {"to": message.recipient, "text": message.body, "sender": self.sender, "reference": reference},
            ensure_ascii=False,
        ).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": reference}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - http(s) checked
                answer = response.read(65536)
        except urllib.error.HTTPError as error:
            if error.code in (408, 425, 429) or error.code >= 500:
                raise DeliveryError(f"SMS gateway answered HTTP {error.code}") from None
            raise PermanentDeliveryError(f"SMS gateway refused the message: HTTP {error.code}") from None
        except (urllib.error.URLError, TimeoutError, socket.timeout, ConnectionError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise DeliveryError(f"SMS gateway unreachable: {reason.__class__.__name__}") from None
        try:
            parsed = json.loads(answer or b"{}")
        except ValueError:
            return ""
        return str(parsed.get("id", ""))[:128] if isinstance(parsed, dict) else ""


class SmtpMailer:
    """Plain SMTP (optionally STARTTLS and login); the Message-ID names the outbox row."""

    def __init__(
        self, host: str, port: int = 25, *, sender: str, username: str = "", password: str = "",
        starttls: bool = False, timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password, self.starttls, self.timeout = username, password, starttls, timeout

    def deliver(self, message) -> str:
        mail = EmailMessage()
        domain = self.sender.rpartition("@")[2] or "localhost"
        message_id = f"<{idempotency_key(message)}@{domain}>"
        mail["From"] = self.sender
        mail["To"] = message.recipient
        mail["Subject"] = message.subject or message.template
        mail["Message-ID"] = message_id
        mail.set_content(message.body)
        for filename, content in getattr(message, "attachments", ()):
            mail.add_attachment(content, maintype="application", subtype="pdf", filename=filename)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused:
            raise PermanentDeliveryError("SMTP server refused the recipient") from None
        except smtplib.SMTPResponseException as error:
            text = f"SMTP server answered {error.smtp_code}"
            if 500 <= error.smtp_code < 600:
                raise PermanentDeliveryError(text) from None
            raise DeliveryError(text) from None
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"SMTP server unreachable: {error.__class__.__name__}") from None
        return message_id


class NoZalo:
    """Zalo is not configured: a Zalo row left from before is refused, and a legal notice goes by SMS."""

    def deliver(self, message) -> str:
        raise PermanentDeliveryError("Zalo is not configured (ZALO_APP_ID, or ZALO_SANDBOX in development)")


class ChannelRouter:
    """One adapter per channel; a channel without one falls back to the development outbox."""

    def __init__(
        self, *, sms: DeliveryAdapter | None = None, email: DeliveryAdapter | None = None,
        zalo: DeliveryAdapter | None = None, development_messages: bool = False,
    ) -> None:
        self.adapters = {
            "sms": sms or DevelopmentOutbox(show_text=development_messages),
            "email": email or DevelopmentOutbox(show_text=development_messages),
            "zalo": zalo or NoZalo(),
        }

    def deliver(self, message) -> str | None:
        channel = getattr(message.channel, "value", message.channel)
        return self.adapters[channel].deliver(message)


def adapter_for(settings: Settings) -> DeliveryAdapter:
    """The HTTP SMS gateway when NOTIFY_SMS_URL is set, SMTP when SMTP_HOST is (see the README's
    configuration table); a channel left unset uses the development outbox. Zalo when ZALO_APP_ID is set, or
    the local sandbox when ZALO_SANDBOX is on (``notifications.zalo``).

    ``settings.development_messages`` makes the development outbox log what it delivers, one-time codes
    included; refused beside a real gateway, where it is production."""
    if settings.development_messages and (settings.notify_sms_url or settings.smtp_host):
        raise ValueError(
            "DEVELOPMENT_MESSAGES is on beside a real SMS or e-mail gateway: it would write one-time codes "
            "to the log. Turn DEVELOPMENT_MESSAGES off."
        )
    sms = email = None
    if settings.notify_sms_url:
        sms = HttpSmsGateway(settings.notify_sms_url, token=settings.notify_sms_token,
                             sender=settings.notify_sms_sender, timeout=settings.notify_sms_timeout)
    if settings.smtp_host:
        email = SmtpMailer(settings.smtp_host, settings.smtp_port, sender=settings.smtp_from,
                           username=settings.smtp_user, password=settings.smtp_password,
                           starttls=settings.smtp_starttls)
    from postal_gateway.notifications import zalo  # cycle: zalo imports this module's errors

    zalo.check_zalo_settings(settings)
    api = zalo.api_for(settings)
    zalo_adapter = zalo.ZaloAdapter(api, settings) if api is not None else None
    return ChannelRouter(sms=sms, email=email, zalo=zalo_adapter, development_messages=settings.development_messages)
