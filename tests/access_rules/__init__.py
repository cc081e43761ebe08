"""Declared access expectations, one module per area, collected by ``tests/test_access_matrix.py``.

Each module defines ``RULES: dict[str, Rule]`` keyed by endpoint name. A route in ``app.url_map`` without a
rule makes the matrix test fail, so a new view cannot ship without saying who may reach it.

``expect()`` builds a rule: the method to send, the status each role gets (``default`` for roles not named,
``anonymous`` for a visitor without login), and ``url_args`` mapping each URL variable to the name of an
object in the test world (``tests/access_rules/world.py``), whose id is put in the URL. For POST routes the
body is empty (CSRF is off in the matrix; ``test_csrf.py`` checks it separately), so a permitted role usually
gets the form back with errors (200) or a redirect (302).
"""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("anonymous", "unit_clerk", "unit_head", "reviewer", "board", "approver", "admin")


@dataclass(frozen=True)
class Rule:
    method: str
    statuses: dict[str, int]
    url_args: dict[str, str] = field(default_factory=dict)
    data: dict[str, str] = field(default_factory=dict)


def expect(
    method: str = "GET",
    *,
    default: int = 403,
    anonymous: int = 302,
    url_args: dict[str, str] | None = None,
    data: dict[str, str] | None = None,
    **by_role: int,
) -> Rule:
    unknown = set(by_role) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles in rule: {unknown}")
    statuses = {role: by_role.get(role, default) for role in ROLES}
    statuses["anonymous"] = by_role.get("anonymous", anonymous)
    return Rule(method.upper(), statuses, dict(url_args or {}), dict(data or {}))


def public(method: str = "GET", status: int = 200, **kwargs: object) -> Rule:
    """A route everyone reaches alike, logged in or not."""
    return expect(method, default=status, anonymous=status, **kwargs)  # type: ignore[arg-type]
