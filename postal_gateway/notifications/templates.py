"""Texts of the messages we send, in Vietnamese (default) and English.

SMS bodies stay short and unaccented-safe enough to read on any phone; each body names who sends it.
A template's placeholders are ``{name}``; a missing context key is a programming error (ValueError).
"""
from __future__ import annotations

import string
from dataclasses import dataclass


@dataclass(frozen=True)
class MessageText:
    subject: str
    body: str


_OTP_VI = {
    "activation": MessageText(
        "Mã kích hoạt tài khoản dịch vụ công",
        "Cong DVC buu chinh: ma kich hoat tai khoan cua ban la {code}, hieu luc {minutes} phut. "
        "Khong chia se ma nay cho nguoi khac, tru nhan vien buu chinh dang dang ky giup ban.",
    ),
    "consent": MessageText(
        "Mã xác nhận ủy quyền cho nhân viên bưu chính",
        "Cong DVC buu chinh: ma {code} xac nhan ban uy quyen cho nhan vien buu chinh nop ho so thay ban, "
        "hieu luc {minutes} phut. Chi doc ma nay cho nhan vien khi ban dong y.",
    ),
    "password_reset": MessageText(
        "Mã đặt lại mật khẩu",
        "Cong DVC buu chinh: ma dat lai mat khau la {code}, hieu luc {minutes} phut. "
        "Neu ban khong yeu cau, hay bo qua tin nhan nay.",
    ),
}
_OTP_EN = {
    "activation": MessageText(
        "Your public-service account activation code",
        "Postal public service: your account activation code is {code}, valid for {minutes} minutes. "
        "Do not share it except with the postal worker registering you.",
    ),
    "consent": MessageText(
        "Code to authorise a postal worker",
        "Postal public service: code {code} confirms that you authorise the postal worker to submit "
        "your dossier, valid for {minutes} minutes. Read it out only if you agree.",
    ),
    "password_reset": MessageText(
        "Password reset code",
        "Postal public service: your password reset code is {code}, valid for {minutes} minutes. "
        "If you did not ask for it, ignore this message.",
    ),
}

TEMPLATES: dict[str, dict[str, MessageText | dict[str, MessageText]]] = {
    # context: code, purpose (activation | consent | password_reset), minutes
    "one_time_code": {"vi": _OTP_VI, "en": _OTP_EN},
    # context: code, procedure_name, appointment_date (dd/mm/yyyy), lookup_url
    "dossier_received": {
        "vi": MessageText(
            "Đã tiếp nhận hồ sơ {code}",
            "Ho so {code} ({procedure_name}) da duoc tiep nhan. Ngay hen tra ket qua: {appointment_date}. "
            "Tra cuu: {lookup_url}",
        ),
        "en": MessageText(
            "Dossier {code} received",
            "Dossier {code} ({procedure_name}) has been received. Result due on {appointment_date}. "
            "Track it at {lookup_url}",
        ),
    },
    # context: code, reasons (one line, "; "-separated), lookup_url (workbench, issue 7)
    "supplement_requested": {
        "vi": MessageText(
            "Hồ sơ {code} cần bổ sung",
            "Ho so {code} can bo sung: {reasons}. Thoi gian da xu ly van duoc tinh; "
            "han tra moi se tinh tu ngay nhan du bo sung. Tra cuu: {lookup_url}",
        ),
        "en": MessageText(
            "Dossier {code} needs a supplement",
            "Dossier {code} needs: {reasons}. Time already spent still counts; the new due date runs "
            "from the day the supplement arrives. Track it at {lookup_url}",
        ),
    },
    # context: code, reasons, lookup_url
    "dossier_rejected": {
        "vi": MessageText(
            "Hồ sơ {code} bị từ chối",
            "Ho so {code} khong duoc giai quyet. Ly do: {reasons}. Tra cuu: {lookup_url}",
        ),
        "en": MessageText(
            "Dossier {code} refused",
            "Dossier {code} cannot be settled. Reasons: {reasons}. Track it at {lookup_url}",
        ),
    },
    # context: code, procedure_name, returned_by ("post" wording or "counter" wording), lookup_url
    "result_ready": {
        "vi": MessageText(
            "Hồ sơ {code} đã có kết quả",
            "Ho so {code} ({procedure_name}) da co ket qua. {returned_by} Tra cuu: {lookup_url}",
        ),
        "en": MessageText(
            "Result ready for dossier {code}",
            "Dossier {code} ({procedure_name}) has its result. {returned_by} Track it at {lookup_url}",
        ),
    },
    # context: code, reason, new_date (dd/mm/yyyy), agency_name, lookup_url
    "apology": {
        "vi": MessageText(
            "Thư xin lỗi: hồ sơ {code} trễ hẹn",
            "{agency_name} xin loi vi ho so {code} tre hen. Ly do: {reason}. Ngay hen tra moi: {new_date}. "
            "Tra cuu: {lookup_url}",
        ),
        "en": MessageText(
            "Apology: dossier {code} is late",
            "{agency_name} apologises: dossier {code} is late. Reason: {reason}. New return date: {new_date}. "
            "Track it at {lookup_url}",
        ),
    },
    # context: code, date (dd/mm/yyyy), place (delivery address or post office), lookup_url
    "delivery_scheduled": {
        "vi": MessageText(
            "Kết quả hồ sơ {code} sắp được phát",
            "Ket qua ho so {code} da giao cho buu chinh va se duoc phat ngay {date} tai {place}. "
            "Tra cuu: {lookup_url}",
        ),
        "en": MessageText(
            "Result of dossier {code} on its way",
            "The result of dossier {code} is with the post and will be delivered on {date} at {place}. "
            "Track it at {lookup_url}",
        ),
    },
    # context: code, at (HH:MM dd/mm/yyyy), lookup_url
    "result_delivered": {
        "vi": MessageText(
            "Đã phát kết quả hồ sơ {code}",
            "Ket qua ho so {code} da duoc phat thanh cong luc {at}. Cam on ban da su dung dich vu buu chinh cong ich. "
            "Tra cuu: {lookup_url}",
        ),
        "en": MessageText(
            "Result of dossier {code} delivered",
            "The result of dossier {code} was delivered at {at}. Thank you for using the public postal service. "
            "Track it at {lookup_url}",
        ),
    },
}


def _placeholders(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


def required_fields(template: str, locale: str = "vi") -> set[str]:
    """Context keys the template needs (every purpose's wording for one-time codes)."""
    chosen = TEMPLATES[template].get(locale) or TEMPLATES[template]["vi"]
    texts = chosen.values() if isinstance(chosen, dict) else [chosen]
    return {name for text in texts for name in _placeholders(text.subject) + _placeholders(text.body)}


def render(template: str, context: dict, locale: str = "vi") -> MessageText:
    """The subject and body of ``template`` filled from ``context``; Vietnamese if the locale is unknown."""
    if template not in TEMPLATES:
        raise ValueError(f"unknown message template {template!r}")
    texts = TEMPLATES[template]
    chosen = texts.get(locale) or texts["vi"]
    if isinstance(chosen, dict):  # per-purpose wording
        purpose = context.get("purpose")
        if purpose is None:
            raise ValueError(f"template {template!r} needs context key 'purpose'")
        purpose = getattr(purpose, "value", purpose)
        if purpose not in chosen:
            raise ValueError(f"template {template!r} has no wording for purpose {purpose!r}")
        chosen = chosen[purpose]
    for name in _placeholders(chosen.subject) + _placeholders(chosen.body):
        if name not in context:
            raise ValueError(f"template {template!r} needs context key {name!r}")
    return MessageText(chosen.subject.format(**context), chosen.body.format(**context))
