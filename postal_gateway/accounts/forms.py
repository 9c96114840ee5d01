"""The accounts area's page forms: each parses (and, where the page alone has a rule, checks) what a page posts,
under the field names the pages have always used. The rules of an account stay in ``services``, which names every
bad field at once; a form only turns the posted text into values."""
from __future__ import annotations

from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from postal_gateway.core.domain import N_
from postal_gateway.web.forms import PageForm, stripped


class LoginForm(PageForm):
    identifier = StringField(default="")
    password = PasswordField(default="")


class OneTimeCodeForm(PageForm):
    """The six digits a citizen reads out or types (activation); the code rules are ``one_time_codes``'."""

    code = StringField(default="")


class ResendCodeForm(PageForm):
    channel = StringField(default="")

    @property
    def chosen_channel(self) -> str:
        """E-mail when asked for, otherwise SMS (any other value is taken as SMS, as the page always did)."""
        return "email" if self.channel.data == "email" else "sms"


class ForgotPasswordForm(PageForm):
    identifier = StringField(
        default="",
        filters=[stripped],
        validators=[DataRequired(message=N_("Vui lòng nhập thư điện tử hoặc số định danh."))],
    )


class ResetPasswordForm(PageForm):
    identifier = StringField(default="")
    code = StringField(default="")
    new_password = PasswordField(default="")
    confirm_password = PasswordField(default="")


def chosen_file(field: FileField) -> FileStorage | None:
    """The file posted in ``field``, or None when none was chosen (a file input left empty posts no name)."""
    upload = field.data
    return upload if isinstance(upload, FileStorage) and upload.filename else None


class _ValuesForm(PageForm):
    """A page form whose typed values go back into the page as they were posted."""

    #: the fields whose typed text the page shows again
    shown: tuple[str, ...] = ()

    def values(self) -> dict[str, str]:
        return {name: self[name].data or "" for name in self.shown}


class _PersonForm(_ValuesForm):
    """Who the person is, as every account form asks it."""

    full_name = StringField(default="")
    id_number = StringField(default="")
    phone = StringField(default="")
    email = StringField(default="")


class RegistrationForm(_PersonForm):
    """Self-registration (Điều 6.1); every rule is ``services.register_citizen``'s."""

    shown = ("full_name", "id_number", "phone", "email", "organisation_name", "address")

    organisation_name = StringField(default="")
    address = StringField(default="")
    password = PasswordField(default="")
    activation_channel = StringField(default="")
    accept_terms = StringField(default="")

    @property
    def chosen_channel(self) -> str:
        return "email" if self.activation_channel.data == "email" else "sms"

    @property
    def terms_accepted(self) -> bool:
        return self.accept_terms.data == "yes"


class CitizenAtCounterForm(_PersonForm):
    """A citizen registered by postal staff, with the ID document in hand (issue date; the photo is a file)."""

    shown = ("full_name", "id_number", "phone", "email", "organisation_name", "address", "id_issued_on")

    organisation_name = StringField(default="")
    address = StringField(default="")
    id_issued_on = StringField(default="")
    #: a photo of the card's front (JPEG, PNG or PDF), checked by ``uploads.validate_scan``
    id_photo = FileField()


class ReclaimForm(_PersonForm):
    """The real holder of an ID number someone else registered; a link may prefill it from the query string."""

    shown = ("full_name", "id_number", "phone", "email", "reason", "id_issued_on")

    reason = StringField(default="")
    id_issued_on = StringField(default="")
    #: a photo of the card's front (JPEG, PNG or PDF), checked by ``uploads.validate_scan``
    id_photo = FileField()
