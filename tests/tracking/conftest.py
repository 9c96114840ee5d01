"""Fixtures shared by the tracking tests."""
from __future__ import annotations

import pytest

from postal_gateway.accounts.models import Role
from tests import factories


@pytest.fixture()
def worker(session):
    """A postal worker and a postal dossier of theirs, committed (the browser tests' live server reads them)."""
    staff = factories.user(session, Role.postal_staff)
    dossier = factories.postal_dossier(session, staff=staff)
    session.commit()
    return staff, dossier
