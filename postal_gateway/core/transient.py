"""Errors every area may raise or catch without importing another area's machinery."""
from __future__ import annotations


class TransientError(Exception):
    """The handler could not work now (partner down); retry later, never dead-letter for it."""
