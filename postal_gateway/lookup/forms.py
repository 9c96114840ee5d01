"""The public lookup page's question (R-19): a dossier code or an ID number, from the page's form (POST) or from
the QR code's address (GET), and the holder's one-time code. Whether they are well formed is the lookup
services' to say."""
from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from wtforms import StringField


def _trimmed(length: int):
    return lambda text: (text or "").strip()[:length]


class LookupForm(FlaskForm):
    code = StringField(filters=[_trimmed(64)])
    id_number = StringField(filters=[_trimmed(32)])
    #: "" to look up; "send_proof" or "confirm_proof" for the holder's one-time code
    action = StringField(filters=[_trimmed(16)])
    otp = StringField(filters=[_trimmed(12)])

    @classmethod
    def from_request(cls) -> LookupForm:
        """The page's POST, or the query string of a link (a link carries no CSRF token)."""
        if request.method == "POST":
            return cls()
        return cls(formdata=request.args, meta={"csrf": False})
