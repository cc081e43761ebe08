"""In-app notifications: short messages to one user (reminders, outcomes), read in the app.

Services flush, never commit. E-mail delivery, when it comes, goes through an outbox fed from here.
"""

from __future__ import annotations

import sqlalchemy as sa

from awards.extensions import db
from models import Notification, User, utcnow


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
