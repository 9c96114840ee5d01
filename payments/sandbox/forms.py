"""The sandbox's pay page form: the outcome picked by hand, as a tester plays the bank."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField


class OutcomeForm(FlaskForm):
    """The outcome and the fault to inject; which ones exist is the gateway's (OUTCOMES, FAULTS)."""

    outcome = StringField(default="")
    fault = StringField(default="")
