"""Coarse role gates for views. Object-level rules live as ``can_*`` predicates beside the models."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort
from flask_login import current_user, login_required

from models import Role

P = ParamSpec("P")
R = TypeVar("R")

PROVINCE_ROLES = frozenset({Role.BOARD, Role.APPROVER, Role.ADMIN})
UNIT_ROLES = frozenset({Role.UNIT_CLERK, Role.UNIT_HEAD})


def roles_required(*roles: Role) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Require a logged-in user holding at least one of ``roles`` (401 → login page, else 403)."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        @login_required
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = frozenset(roles)  # type: ignore[attr-defined]
        return wrapped

    return decorator
