"""What every request must be before a view sees it: ids the database can hold, JSON the parser can
read; and the test for text the database can store. Each refusal is a 4xx, never a 500."""
from __future__ import annotations

from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter, ValidationError

#: the largest value of a PostgreSQL INTEGER column: every id and number in a URL is stored in one
MAX_DATABASE_INT = 2**31 - 1


class DatabaseIdConverter(IntegerConverter):
    """An integer URL segment within 1..2^31-1; anything else is no match, so 404 (not an overflow)."""

    def __init__(self, map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_DATABASE_INT)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        if len(value) > len(str(MAX_DATABASE_INT)):  # refuse before int() works on a huge string
            raise ValidationError()
        return super().to_python(value)


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that a body nested too deep for the parser is unreadable JSON (a 400 or
    a named field), not a RecursionError."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError as too_deep:
            raise ValueError("JSON nested too deeply") from too_deep


def unstorable(text: str) -> bool:
    """Text PostgreSQL cannot store: a NUL character, or a lone surrogate that has no UTF-8 form."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def storable(text: str) -> str:
    """The text with what PostgreSQL cannot store written as escapes (\\x00, \\ud800), for a log of a refusal."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def init_app(app: Flask) -> None:
    """Before any blueprint is registered: the id converter must be in place when rules compile."""
    app.url_map.converters["int"] = DatabaseIdConverter
    app.json = BoundedJSONProvider(app)
