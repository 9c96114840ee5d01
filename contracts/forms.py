"""The contracts area's page forms: each parses and checks what the operator or the cashier typed, naming every
wrong field in the same words as the service would; the services keep their own checks for the commands."""
from __future__ import annotations

from datetime import date

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, NumberRange, Optional, ValidationError

from contracts.models import LIMIT_ZONES, Leg
from contracts.parsing import parse_local_date
from contracts.quotes import DEFAULT_WEIGHT_GRAMS
from postal_gateway.core.domain import N_

#: the most a cash book's line can hold, as the remittance service checks it
MAX_AMOUNT_VND = 10_000_000_000
AMOUNT_MESSAGE = N_("Số tiền phải là số nguyên đồng (VND) không âm.")
SIGNED_AMOUNT_MESSAGE = N_("Số tiền phải là số nguyên đồng (VND).")
DEFAULT_LEGAL_SOURCE = "Thông tư 14/2018/TT-BTTTT"
UNREADABLE_DAY = N_("Ngày không hợp lệ: dùng 2026-01-01 hoặc 01/01/2026.")


class WholeNumberField(IntegerField):
    """A whole number; text that is not one leaves the field empty for its validators to name, in Vietnamese,
    instead of WTForms' own English message."""

    def process_formdata(self, valuelist: list[str]) -> None:
        text = valuelist[0].strip() if valuelist else ""
        digits = text.removeprefix("-")
        self.data = int(text) if digits.isdigit() and len(digits) <= 18 else None


class NationalLimitForm(FlaskForm):
    """One national full-trip limit (R-17: Điều 22.5), as the operator corrects it."""

    leg = SelectField(
        choices=[leg.value for leg in Leg], validate_choice=False,
        validators=[AnyOf([leg.value for leg in Leg], message=N_("Chiều phải là forward (đi) hoặc return (về)."))],
    )
    zone = SelectField(
        choices=[zone.value for zone in LIMIT_ZONES], validate_choice=False,
        validators=[AnyOf([zone.value for zone in LIMIT_ZONES],
                          message=N_("Vùng phải là same_commune, same_province, other_province hoặc remote."))],
    )
    max_hours = WholeNumberField(validators=[
        InputRequired(N_("Số giờ phải là số nguyên từ 1 đến 1440.")),
        NumberRange(1, 24 * 60, N_("Số giờ phải là số nguyên từ 1 đến 1440.")),
    ])
    legal_source = StringField(default=DEFAULT_LEGAL_SOURCE, filters=[lambda text: (text or "").strip()[:255]],
                               validators=[DataRequired(N_("Vui lòng ghi văn bản pháp lý làm căn cứ."))])
    note = StringField(filters=[lambda text: (text or "").strip()[:2000]])
    #: the second submit of a lowered limit: the contract versions the operator saw listed and confirmed
    confirm = StringField(filters=[lambda text: (text or "").strip()[:2000]])

    def confirmed_versions(self) -> frozenset[int]:
        """The version ids of ``confirm`` ("12,15"); anything else in it confirms nothing."""
        return frozenset(int(part) for part in (self.confirm.data or "").split(",") if part.strip().isdigit())


class RemittanceForm(FlaskForm):
    """What the cashier received for a closed shift; that the amounts add up is the service's rule."""

    fee_vnd = WholeNumberField(validators=[InputRequired(AMOUNT_MESSAGE), NumberRange(0, MAX_AMOUNT_VND, AMOUNT_MESSAGE)])
    postage_vnd = WholeNumberField(validators=[InputRequired(AMOUNT_MESSAGE),
                                               NumberRange(0, MAX_AMOUNT_VND, AMOUNT_MESSAGE)])
    #: lệ phí paid back in cash during the shift (Điều 14.2.c); absent: none
    refunds_vnd = WholeNumberField(default=0, validators=[Optional(), NumberRange(0, MAX_AMOUNT_VND, AMOUNT_MESSAGE)])
    #: negative when the refunds paid out exceed the takings: the cashier gives the difference back
    handed_vnd = WholeNumberField(validators=[InputRequired(SIGNED_AMOUNT_MESSAGE),
                                              NumberRange(-MAX_AMOUNT_VND, MAX_AMOUNT_VND, SIGNED_AMOUNT_MESSAGE)])
    reason = TextAreaField(filters=[lambda text: (text or "")[:2000]])


class CashRefundPaymentForm(FlaskForm):
    """What the postal worker records when paying a lệ phí back (Điều 14.2.c); the rules are the service's."""

    recipient_name = StringField(filters=[lambda text: (text or "").strip()[:1000]])
    id_last4 = StringField(filters=[lambda text: (text or "").strip()[:16]])
    voucher_number = StringField(filters=[lambda text: (text or "").strip()[:64]])


class ContractImportForm(FlaskForm):
    """The contracts file and/or the tariff file (CSV or XLSX); that at least one is chosen, and every row, is
    the importer's to check."""

    contracts_file = FileField()
    tariff_file = FileField()

    def chosen_files(self) -> dict[str, tuple[str, bytes]]:
        """(file name, content) of each file the operator chose, by field name."""
        return {field.name: (field.data.filename, field.data.read())
                for field in (self.contracts_file, self.tariff_file) if field.data and field.data.filename}


class LocalDateField(StringField):
    """A day as 2026-01-01 or 01/01/2026; left empty, the field keeps its default; text that is no such day
    leaves it None, marked ``unreadable`` for the form to name."""

    unreadable = False

    def process_formdata(self, valuelist: list[str]) -> None:
        self.unreadable = False
        if valuelist and valuelist[0].strip():
            self.data = parse_local_date(valuelist[0])
            self.unreadable = self.data is None


class FeeStatementForm(FlaskForm):
    """The fee statement's question (a link, so no CSRF token): which agency, from which day to which day."""

    agency = StringField(filters=[lambda text: (text or "").strip()])
    start = LocalDateField()
    end = LocalDateField()
    format = StringField()

    def __init__(self, *, agency_codes: list[str], today: date) -> None:
        super().__init__(formdata=request.args, meta={"csrf": False},
                         data={"start": today.replace(day=1), "end": today})
        self.agency_codes = agency_codes

    def validate_agency(self, field: StringField) -> None:
        if field.data and field.data not in self.agency_codes:
            raise ValidationError(N_("Không có cơ quan mã này."))

    def validate_start(self, field: LocalDateField) -> None:
        if field.unreadable:
            raise ValidationError(UNREADABLE_DAY)

    def validate_end(self, field: LocalDateField) -> None:
        if field.unreadable:
            raise ValidationError(UNREADABLE_DAY)
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(N_("Ngày kết thúc phải sau ngày bắt đầu."))


def _text(value: str | None) -> str:
    return value or ""


class PostageQuoteForm(FlaskForm):
    """The public postage page's quote question (R-18), asked by a link (GET, so no CSRF token); every field
    is checked by ``contracts.quotes.quote``, which names them all at once."""

    procedure_code = StringField(filters=[_text])
    pickup_address = StringField(filters=[_text])
    post_office_code = StringField(filters=[_text])
    delivery_address = StringField(filters=[_text])
    weight_grams = StringField(filters=[_text])
    on_behalf = StringField(filters=[_text])

    def __init__(self) -> None:
        super().__init__(formdata=request.args, meta={"csrf": False})

    @property
    def asked(self) -> bool:
        return bool(self.procedure_code.data)

    def quote_arguments(self) -> dict:
        """The question as ``quote`` arguments; an empty weight is the default envelope's."""
        return {
            "procedure_code": self.procedure_code.data,
            "pickup_address": self.pickup_address.data,
            "post_office_code": self.post_office_code.data,
            "delivery_address": self.delivery_address.data,
            "weight_grams": self.weight_grams.data or DEFAULT_WEIGHT_GRAMS,
            "fee_collected_on_behalf": self.on_behalf.data == "1",
        }
