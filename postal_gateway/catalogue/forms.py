"""The catalogue area's page forms."""
from __future__ import annotations

from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import StringField
from wtforms.validators import AnyOf

from postal_gateway.accounts.forms import chosen_file
from postal_gateway.core.domain import N_
from postal_gateway.web.forms import PageForm

NO_FILE_CHOSEN = N_("Vui lòng chọn tệp .csv hoặc .xlsx.")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


def _blank_as_none(value: str | None) -> str | None:
    return value or None


def _lowered(value: str | None) -> str:
    return (value or "").strip().lower()


def _number_or_text(value: str | None) -> int | str | None:
    """A whole number, or the text as typed for ``search_procedures`` to name with the other bad filters."""
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        return value


class ProcedureFilterForm(PageForm):
    """The catalogue page's filters, sent in the query string. The form reads them; ``search_procedures`` checks
    them and names every bad one at once."""

    q = StringField()
    field = StringField(filters=[_blank_as_none])
    level = StringField(filters=[_blank_as_none])
    administrative_level = StringField(filters=[_blank_as_none])
    postal = StringField(
        default="", filters=[_lowered], validators=[AnyOf(_TRUE + _FALSE, message=N_("postal phải là true hoặc false."))]
    )
    limit = StringField(filters=[_number_or_text])
    offset = StringField(filters=[_number_or_text])

    @property
    def postal_only(self) -> bool:
        return self.postal.data in _TRUE


class CatalogueImportForm(PageForm):
    """The operator's catalogue file (.csv or .xlsx); its rows are checked by ``importer``, every bad row named."""

    file = FileField()

    def chosen_file(self) -> FileStorage | None:
        """The uploaded file, or None when the operator chose none."""
        return chosen_file(self.file)
