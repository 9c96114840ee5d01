"""The intake wizard's page forms: each turns what the postal worker's page posts into values, under the
field names the pages have always used.

The rules and their Vietnamese messages stay in ``services`` (the checklist, the collection and the amounts,
every bad field named at once), the same for the wizard and the API; a form only parses (a value that does
not parse is handed over as the rules expect to name it)."""
from __future__ import annotations

from wtforms import SelectMultipleField, StringField, TextAreaField

from postal_gateway.web.forms import PageForm, database_id, stripped


class IntakeStartForm(PageForm):
    """The citizen and the procedure the postal worker chose."""

    citizen_id = StringField(default="")
    procedure_code = StringField(default="")

    @property
    def citizen(self) -> int | None:
        return database_id(self.citizen_id.data)


class ChecklistForm(PageForm):
    """The checklist items the postal worker ticked (Điều 9: every missing one is named at once)."""

    item = SelectMultipleField(default=list, validate_choice=False)

    @property
    def ticked(self) -> list[int]:
        return [number for number in (database_id(value) for value in self.item.data or []) if number is not None]


class CollectionForm(PageForm):
    """Where the dossier is collected and the result delivered, who pays what and how (R-15, R-18)."""

    collection_place = StringField(default="")
    pickup_address = TextAreaField(default="", filters=[stripped])
    delivery_address = TextAreaField(default="", filters=[stripped])
    organisation_name = StringField(default="", filters=[stripped])
    fee_method = StringField(default="")
    postage_vnd = StringField(default="")
    postage_method = StringField(default="")
    digitally_signed = StringField(default="")
    #: "quote": recalculate the postage for the addresses just typed, nothing else
    action = StringField(default="")

    @property
    def postage(self) -> int | str:
        """The postage typed in đồng, thousands separators allowed; the text itself when it is not a number
        (the rule names it)."""
        raw = (self.postage_vnd.data or "0").replace(".", "").replace(",", "").replace(" ", "").strip() or "0"
        try:
            return int(raw)
        except ValueError:
            return raw

    @property
    def signed(self) -> bool:
        return self.digitally_signed.data == "1"

    @property
    def wants_quote(self) -> bool:
        return self.action.data == "quote"


class ResubmitForm(PageForm):
    """The completed dossier sent back to the one-stop office (Điều 12.1.c): the confirmation box, a note,
    and the dossier version the page showed."""

    confirmed = StringField(default="")
    note = TextAreaField(default="", filters=[stripped])
    version = StringField(default="")

    @property
    def is_confirmed(self) -> bool:
        return (self.confirmed.data or "").strip().lower() in ("y", "yes", "on", "1", "true")

    @property
    def expected_version(self) -> int | None:
        text = (self.version.data or "").strip()
        return int(text) if text.isdigit() and len(text) <= 9 else None
