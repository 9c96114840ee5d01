"""Texts of the messages we send, in Vietnamese (default) and English.

Texts are written in proper Vietnamese; ``for_sms`` folds them to plain Latin letters, because an SMS
with a single accented letter is sent in UCS-2 (70 characters a segment instead of 160) and some
older handsets show accented text badly. Each body names who sends it.
A template's placeholders are ``{name}``; a missing context key is a programming error (ValueError).
"""
from __future__ import annotations

import string
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class MessageText:
    subject: str
    body: str


_OTP_VI = {
    "activation": MessageText(
        "Mã kích hoạt tài khoản dịch vụ công",
        "Cổng DVC bưu chính: mã kích hoạt tài khoản của bạn là {code}, hiệu lực {minutes} phút. "
        "Không chia sẻ mã này cho người khác, trừ nhân viên bưu chính đang đăng ký giúp bạn.",
    ),
    "consent": MessageText(
        "Mã xác nhận ủy quyền cho nhân viên bưu chính",
        "Cổng DVC bưu chính: mã {code} xác nhận bạn ủy quyền cho nhân viên bưu chính nộp hồ sơ thay bạn, "
        "hiệu lực {minutes} phút. Chỉ đọc mã này cho nhân viên khi bạn đồng ý.",
    ),
    "password_reset": MessageText(
        "Mã đặt lại mật khẩu",
        "Cổng DVC bưu chính: mã đặt lại mật khẩu là {code}, hiệu lực {minutes} phút. "
        "Nếu bạn không yêu cầu, hãy bỏ qua tin nhắn này.",
    ),
    "lookup": MessageText(
        "Mã xác minh tra cứu hồ sơ",
        "Cổng DVC bưu chính: mã {code} để xem đầy đủ hồ sơ của bạn trên trang tra cứu, hiệu lực {minutes} phút. "
        "Nếu bạn không tra cứu, hãy bỏ qua tin nhắn này.",
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
    "lookup": MessageText(
        "Dossier lookup code",
        "Postal public service: code {code} shows your dossiers in full on the lookup page, valid for {minutes} "
        "minutes. If you are not looking up your dossiers, ignore this message.",
    ),
}

TEMPLATES: dict[str, dict[str, MessageText | dict[str, MessageText]]] = {
    # context: code, purpose (activation | consent | password_reset | lookup), minutes
    "one_time_code": {"vi": _OTP_VI, "en": _OTP_EN},
    # context: office (post office name), at (HH:MM dd/mm/yyyy)
    "consent_recorded": {
        "vi": MessageText(
            "Đã ghi nhận giấy ủy quyền tại {office}",
            "Cổng DVC bưu chính: {office} đã ghi nhận giấy ủy quyền của bạn lúc {at} để làm hồ sơ thay bạn. "
            "Nếu bạn không ký giấy này, hãy thu hồi ở mục Ủy quyền của tôi hoặc báo bưu cục, cơ quan gần nhất.",
        ),
        "en": MessageText(
            "Authorisation recorded at {office}",
            "Postal public service: {office} recorded your signed authorisation at {at} to submit dossiers for you. "
            "If you did not sign it, revoke it under My authorisations or tell the nearest post office or agency.",
        ),
    },
    # context: office (post office name), id_number (masked), at (HH:MM dd/mm/yyyy)
    "account_registered": {
        "vi": MessageText(
            "Tài khoản dịch vụ công đã được đăng ký tại {office}",
            "Cổng DVC bưu chính: {office} đã đăng ký tài khoản dịch vụ công với giấy tờ số {id_number} lúc {at}. "
            "Nếu không phải bạn, hãy mang căn cước đến bưu cục hoặc cơ quan gần nhất để lấy lại tài khoản.",
        ),
        "en": MessageText(
            "Public-service account registered at {office}",
            "Postal public service: {office} registered a public-service account with ID document {id_number} at {at}. "
            "If this was not you, bring your ID card to the nearest post office or agency to reclaim the account.",
        ),
    },
    # context: shipment_number, procedure_name, agency_name, at (local time), lookup_url. Sent when the
    # post submits the dossier online (Điều 21.1): not yet received, so no code and no appointment.
    "dossier_submitted": {
        "vi": MessageText(
            "Đã gửi hồ sơ {shipment_number}",
            "Hồ sơ ({procedure_name}) đã được bưu chính nộp trực tuyến đến {agency_name} lúc {at}, số hiệu bưu gửi "
            "{shipment_number}. Hồ sơ chưa được tiếp nhận chính thức: cơ quan sẽ kiểm tra và báo mã hồ sơ, ngày hẹn "
            "trả kết quả. Tra cứu: {lookup_url}",
        ),
        "en": MessageText(
            "Dossier {shipment_number} submitted",
            "Your dossier ({procedure_name}) was submitted online by the post to {agency_name} at {at}, shipment "
            "number {shipment_number}. It is not officially received yet: the agency will check it and send you the "
            "dossier code and the date of the result. Track it at {lookup_url}",
        ),
    },
    # context: code, agency_name, procedure_name, received_at (local time), appointment_date (dd/mm/yyyy),
    # form_url (the stored form 01), lookup_url. Sent on acceptance (Điều 12.1.b, 14.4)
    "dossier_received": {
        "vi": MessageText(
            "Đã tiếp nhận hồ sơ {code}",
            "{agency_name} đã tiếp nhận hồ sơ {code} ({procedure_name}) lúc {received_at}. Ngày hẹn trả kết quả: "
            "{appointment_date}. Giấy tiếp nhận hồ sơ và hẹn trả kết quả: {form_url}. Tra cứu: {lookup_url}",
        ),
        "en": MessageText(
            "Dossier {code} received",
            "{agency_name} received dossier {code} ({procedure_name}) at {received_at}. Result due on "
            "{appointment_date}. Receipt and appointment slip: {form_url}. Track it at {lookup_url}",
        ),
    },
    # context: shipment_number, agency_name, items, reasons ("; "-separated), form_url, lookup_url (form 02 at
    # reception, Điều 12.1.c "đầy đủ một lần", 9.1.b)
    "completion_requested": {
        "vi": MessageText(
            "Hồ sơ {shipment_number} cần bổ sung, hoàn thiện",
            "{agency_name} chưa tiếp nhận hồ sơ {shipment_number}. Cần bổ sung, hoàn thiện: {items}. "
            "Lý do: {reasons}. Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ: {form_url}. Tra cứu: {lookup_url}",
        ),
        "en": MessageText(
            "Dossier {shipment_number} needs completing",
            "{agency_name} has not received dossier {shipment_number} yet. To complete: {items}. "
            "Reasons: {reasons}. Request to complete the dossier: {form_url}. Track it at {lookup_url}",
        ),
    },
    # context: shipment_number, agency_name, reasons, guidance (sentence naming the competent agency and
    # ending with a space, or ""), form_url
    # (form 03, Điều 9.1.b)
    "dossier_refused": {
        "vi": MessageText(
            "Hồ sơ {shipment_number} bị từ chối tiếp nhận",
            "{agency_name} từ chối tiếp nhận hồ sơ {shipment_number}. Lý do: {reasons}. {guidance}"
            "Phiếu từ chối tiếp nhận giải quyết hồ sơ: {form_url}",
        ),
        "en": MessageText(
            "Dossier {shipment_number} refused at reception",
            "{agency_name} refused to receive dossier {shipment_number}. Reasons: {reasons}. {guidance}"
            "Refusal notice: {form_url}",
        ),
    },
    # context: code, reasons (one line, "; "-separated), lookup_url (workbench, issue 7)
    "supplement_requested": {
        "vi": MessageText(
            "Hồ sơ {code} cần bổ sung",
            "Hồ sơ {code} cần bổ sung: {reasons}. Thời gian đã xử lý vẫn được tính; "
            "hạn trả mới sẽ tính từ ngày nhận đủ bổ sung. Tra cứu: {lookup_url}",
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
            "Hồ sơ {code} không được giải quyết. Lý do: {reasons}. Tra cứu: {lookup_url}",
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
            "Hồ sơ {code} ({procedure_name}) đã có kết quả. {returned_by} Tra cứu: {lookup_url}",
        ),
        "en": MessageText(
            "Result ready for dossier {code}",
            "Dossier {code} ({procedure_name}) has its result. {returned_by} Track it at {lookup_url}",
        ),
    },
    # context: code, reason, new_date (dd/mm/yyyy), agency_name, issuer_name (the body that wrote form 04),
    # form_url (the stored form 04), lookup_url (forwarded by the one-stop office, Điều 9.4.d)
    "apology": {
        "vi": MessageText(
            "Phiếu xin lỗi: hồ sơ {code} trễ hẹn",
            "{issuer_name} xin lỗi vì hồ sơ {code} trễ hẹn. Lý do: {reason}. Ngày hẹn trả mới: {new_date}. "
            "Phiếu xin lỗi và hẹn lại ngày trả kết quả: {form_url}. Tra cứu: {lookup_url}",
        ),
        "en": MessageText(
            "Apology: dossier {code} is late",
            "{issuer_name} apologises: dossier {code} is late. Reason: {reason}. New return date: {new_date}. "
            "Letter of apology and new return date: {form_url}. Track it at {lookup_url}",
        ),
    },
    # context: code, issuer_name (the cooperating agency), reason, new_date; to the lead agency's officers
    # (Điều 10.2.g: "gửi văn bản này đến cơ quan chủ trì giải quyết TTHC để theo dõi")
    "apology_for_lead_agency": {
        "vi": MessageText(
            "Phiếu xin lỗi của cơ quan phối hợp: hồ sơ {code}",
            "Cổng DVC bưu chính: {issuer_name} đã lập phiếu xin lỗi cho hồ sơ {code}. Lý do: {reason}. "
            "Ngày hẹn trả mới: {new_date}. Bộ phận Một cửa chuyển phiếu cho công dân trên trang xử lý hồ sơ.",
        ),
        "en": MessageText(
            "Cooperating agency's apology: dossier {code}",
            "Postal public service: {issuer_name} wrote a letter of apology for dossier {code}. Reason: {reason}. "
            "New return date: {new_date}. The one-stop office forwards it to the citizen on the dossier's page.",
        ),
    },
    # context: code, date (dd/mm/yyyy), place (delivery address or post office), lookup_url
    "delivery_scheduled": {
        "vi": MessageText(
            "Kết quả hồ sơ {code} sắp được phát",
            "Kết quả hồ sơ {code} đã giao cho bưu chính và sẽ được phát ngày {date} tại {place}. "
            "Tra cứu: {lookup_url}",
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
            "Kết quả hồ sơ {code} đã được phát thành công lúc {at}. Cảm ơn bạn đã sử dụng dịch vụ bưu chính công ích. "
            "Tra cứu: {lookup_url}",
        ),
        "en": MessageText(
            "Result of dossier {code} delivered",
            "The result of dossier {code} was delivered at {at}. Thank you for using the public postal service. "
            "Track it at {lookup_url}",
        ),
    },
    # context: amount, ref (code or shipment number), office, at (HH:MM dd/mm/yyyy), voucher_number: a lệ phí paid
    # back in cash at the post office for a dossier the agency could not handle (Điều 14.2.c)
    "fee_refunded": {
        "vi": MessageText(
            "Đã hoàn trả lệ phí hồ sơ {ref}",
            "Lệ phí {amount} của hồ sơ {ref} đã được hoàn trả tại {office} lúc {at}. Số phiếu chi: {voucher_number}.",
        ),
        "en": MessageText(
            "Fee for dossier {ref} refunded",
            "The fee of {amount} for dossier {ref} was refunded at {office} at {at}. Voucher number: {voucher_number}.",
        ),
    },
    # context: ref (code or shipment number), amount (formatted VND), pay_url, lookup_url: a level-4 dossier received
    # with its lệ phí still unpaid online (notifications.fee_notices)
    "fee_due": {
        "vi": MessageText(
            "Lệ phí hồ sơ {ref} chờ thanh toán",
            "Cổng DVC bưu chính: hồ sơ {ref} còn {amount} lệ phí chưa thanh toán. Thanh toán trực tuyến: {pay_url}",
        ),
        "en": MessageText(
            "Fee for dossier {ref} due",
            "Postal public service: dossier {ref} still owes a fee of {amount}. Pay online: {pay_url}",
        ),
    },
    # context: office, count, codes (grouped by the clock breached, the first ten); sent by tracking's breach scan
    "sla_breached": {
        "vi": MessageText(
            "Quá hạn cam kết thời gian: {count} hồ sơ",
            "Cổng DVC bưu chính: {count} hồ sơ của {office} đã quá hạn. {codes}",
        ),
        "en": MessageText(
            "Time commitment missed: {count} dossiers",
            "Postal public service: {count} dossiers of {office} are late. {codes}",
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


#: free text typed by staff that the templates follow with a full stop: a stop the staff typed is dropped
_SENTENCE_KEYS = ("reason", "reasons")


def render(template: str, context: dict, locale: str = "vi") -> MessageText:
    """The subject and body of ``template`` filled from ``context``; Vietnamese if the locale is unknown."""
    context = {**context, **{
        key: str(context[key]).rstrip().rstrip(".").rstrip() for key in _SENTENCE_KEYS if key in context
    }}
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


def for_sms(text: MessageText) -> MessageText:
    """The same message without diacritics (đ → d), for the GSM 7-bit alphabet of SMS."""
    return MessageText(_fold(text.subject), _fold(text.body))


def _fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))
