"""The consents area's page forms, under the field names the pages have always posted. The consent's rules stay in
``services`` (every bad field named at once); a form turns the posted text into values."""
from __future__ import annotations

from datetime import datetime

from flask_wtf.file import FileField
from wtforms import StringField

from postal_gateway.consents.schemas import parse_valid_until
from postal_gateway.web.forms import PageForm


class ConsentStartForm(PageForm):
    """Ask for a consent: by a code the citizen reads out, or by a signed authorisation (a file, ``scan``)."""

    method = StringField(default="code")
    scope = StringField(default="")
    valid_until = StringField(default="")
    #: the signed authorisation (photo or PDF), checked by ``uploads.validate_scan``
    scan = FileField()

    @property
    def by_signed_scan(self) -> bool:
        return self.method.data == "scan"

    def end_of_validity(self) -> datetime | None:
        """The end date of a period consent (Vietnamese end of day); a single-dossier consent has none to read."""
        return parse_valid_until(self.valid_until.data) if self.scope.data == "period" else None

    def values(self) -> dict[str, str]:
        """What was posted, to show again; a field not posted is absent, so the page shows its own default."""
        return {field.name: field.data for field in (self.scope, self.valid_until) if field.raw_data}


class ConsentCodeForm(PageForm):
    """The code the citizen reads out, or a request for a new one (``action=resend``)."""

    action = StringField(default="")
    code = StringField(default="")

    @property
    def asks_for_a_new_code(self) -> bool:
        return self.action.data == "resend"


class RevocationForm(PageForm):
    reason = StringField(default="")
