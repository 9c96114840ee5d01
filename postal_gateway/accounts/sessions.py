"""Ending sessions.

A page session's cookie carries the user's ``session_version`` and an API token its
``credentials_version`` (see ``models.User``). Changing the password, role or activity raises
both (the model does it, whatever the code path); logging out raises only the first, ending the
user's page sessions on every device while the handheld's API token keeps working.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from postal_gateway.accounts.models import User


def end_page_sessions(session: Session, user: User) -> None:
    """Log out: every page session of this user ends, including cookies copied elsewhere."""
    # Incremented in SQL so two log-outs at once both count.
    user.session_version = User.session_version + 1
    session.flush()
