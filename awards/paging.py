"""The page number of a list, read from the query string and kept within what databases can hold."""

from __future__ import annotations

from flask import request

# Far beyond any real list (50 rows a page), far below the 64-bit OFFSET limit of PostgreSQL and SQLite.
MAX_PAGE = 100_000


def requested_page() -> int:
    """``?page=N`` as a number from 1 to ``MAX_PAGE``; anything else reads as page 1 or the limit."""
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), MAX_PAGE)
