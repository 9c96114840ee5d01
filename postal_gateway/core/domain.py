"""Errors that domain services raise, free of Flask and HTTP.

Messages are Vietnamese message ids marked with ``N_`` so that Babel extracts them; the web
layer translates them into the reader's language when it renders the error.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def N_(message: str) -> str:
    """Mark a message for translation without translating it here."""
    return message


_translate: Callable[[str], str] = N_


def install_translator(translate: Callable[[str], str]) -> None:
    """The web layer's gettext, so that a Phrase is shown in the reader's language."""
    global _translate
    _translate = translate


class Phrase:
    """Message ids used as a parameter of another message (an action's name, a list of them):
    translated only when the outer message is formatted, in the language of whoever reads it."""

    def __init__(self, *message_ids: str, separator: str = ", ") -> None:
        self.message_ids = message_ids
        self.separator = separator

    def __str__(self) -> str:
        return self.separator.join(_translate(message_id) for message_id in self.message_ids)

    def __repr__(self) -> str:
        return f"Phrase{self.message_ids!r}"


@dataclass
class FieldError:
    field: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


class DomainError(Exception):
    """A rule refused the request. ``message`` is a translatable id with %(name)s placeholders."""

    def __init__(
        self,
        message: str,
        *,
        params: dict[str, Any] | None = None,
        field_errors: list[FieldError] | None = None,
    ) -> None:
        super().__init__(message % (params or {}) if params else message)
        self.message = message
        self.params = params or {}
        self.field_errors = field_errors or []


class InvalidInput(DomainError):
    """The input breaks a rule; field_errors names every offending field at once."""

    @classmethod
    def on_field(cls, field_name: str, message: str, **params: Any) -> "InvalidInput":
        """One field is wrong: the same message heads the error and sits on the field."""
        return cls(message, params=params, field_errors=[FieldError(field_name, message, params)])


class NotFound(DomainError):
    """The thing asked for does not exist, or the asker may not know it exists."""


class Conflict(DomainError):
    """The request clashes with the current state (a repeated key, a used code, a lost race)."""


class Forbidden(DomainError):
    """The actor may not do this (no consent, wrong agency, wrong role)."""


class TooManyAttempts(DomainError):
    """A throttle or attempt limit was reached; the caller should wait."""

    def __init__(self, message: str, *, retry_after_seconds: int = 60, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after_seconds = retry_after_seconds
