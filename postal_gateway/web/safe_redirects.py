"""Where a page may send the reader back to: only paths on this site.

A `next` parameter or a Referer header is written by whoever made the link; redirecting to it
unchecked would let a phishing link borrow our log-in page ("open redirect").
"""
from __future__ import annotations

from urllib.parse import urlsplit


def safe_local_path(target: str | None, fallback: str = "/") -> str:
    """``target`` if it is a path on this site, else ``fallback``.

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so
    ``/\\t/evil.example`` or ``/\\evil.example`` would leave the site: any control character,
    space or backslash is refused outright rather than cleaned.
    """
    if not target or any(ord(char) <= 0x20 or ord(char) == 0x7F or char == "\\" for char in target):
        return fallback
    if not target.startswith("/") or target.startswith("//"):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target


def safe_path_from_url(url: str | None, own_host_url: str, fallback: str = "/") -> str:
    """The path and query of ``url`` (e.g. a Referer) if it points at this site, else ``fallback``.

    ``own_host_url`` is the site's own origin as the request sees it, e.g. ``request.host_url``.
    """
    if not url:
        return fallback
    if url.startswith("/"):
        return safe_local_path(url, fallback)
    parts, own = urlsplit(url), urlsplit(own_host_url)
    if (parts.scheme, parts.netloc) != (own.scheme, own.netloc):
        return fallback
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return safe_local_path(path, fallback)
