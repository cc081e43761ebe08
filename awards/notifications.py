"""In-app notifications: short messages to one user (reminders, outcomes), read in the app.

``notify_unit`` tells a unit's people (clerks and heads) about the outcome of its nominations, in the
app and by e-mail through the outbox (``awards/outbox.py``), each in their own language.

Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from awards import outbox
from awards.extensions import db
from models import Notification, Role, User, UserRole, utcnow


def notify(user: User, message: str, link: str = "") -> Notification:
    """Add an unread notification for ``user`` (``link``: a path in the app, or empty). Raises nothing."""
    notification = Notification(user=user, message=message, link=link[:255])
    db.session.add(notification)
    db.session.flush()
    return notification


def unread(user: User) -> list[Notification]:
    """``user``'s unread notifications, newest first."""
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .order_by(Notification.created_at.desc(), Notification.id.desc())
        )
    )


def unread_count(user: User) -> int:
    """How many unread notifications ``user`` has (one COUNT, for a navbar badge)."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def mark_read(notification: Notification) -> None:
    """Set ``read_at`` (once; reading again changes nothing)."""
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()


def unit_people(unit_id: int) -> list[User]:
    """The active clerks and heads of unit ``unit_id``."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.unit_id == unit_id,
                User.active.is_(True),
                User.id.in_(
                    sa.select(UserRole.user_id).where(
                        UserRole.role.in_((Role.UNIT_CLERK, Role.UNIT_HEAD))
                    )
                ),
            )
            .order_by(User.id)
        )
    )


def notify_unit(
    unit_id: int,
    message: Callable[[], str],
    link: str = "",
    subject: Callable[[], str] | None = None,
) -> int:
    """Tell every clerk and head of unit ``unit_id``: in the app, and by e-mail (through the outbox)
    to those with an address. ``message`` and ``subject`` are called once per person inside their own
    locale, so each reads it in their language. Returns how many people were told."""
    people = unit_people(unit_id)
    for user in people:
        with force_locale(user.locale):
            text = message()
            title = subject() if subject is not None else text
        notify(user, text, link)
        if user.email:
            address = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + link if link else ""
            outbox.queue(user.email, title[:200], f"{text}\n\n{address}".strip())
    return len(people)
