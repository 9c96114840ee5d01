"""What every page form shares: the base class and the parsing of posted text.

A page form only turns what a page posts into values, under the field names the pages have always used; the
rules and their Vietnamese messages stay in the areas' services, which name every bad field at once, the same
for the pages and the API."""
from __future__ import annotations

from flask_wtf import FlaskForm

#: a database id is a positive 32-bit integer
ID_LIMIT = 2**31


class PageForm(FlaskForm):
    """A form posted by a page. The app's CSRFProtect already checks every POST's token, so the form does not
    check it a second time."""

    class Meta:
        csrf = False


def stripped(value: str | None) -> str:
    """Posted text without its surrounding blanks; anything that is not text is empty."""
    return value.strip() if isinstance(value, str) else ""


def database_id(value) -> int | None:
    """A posted id as a positive integer; None when it is not one."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number < ID_LIMIT else None
