"""The app's notion of "today": the civil date in Vietnam, whatever the server's zone.

Deadlines are dates in Vietnamese administrative practice ("hạn nộp 30/9"); a dossier filed at 23:30 on
30/9 in Hà Nội is on time even though it is 16:30 UTC. Tests replace ``today`` to move through a round.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"


def zone() -> ZoneInfo:
    name = (
        current_app.config.get("BABEL_DEFAULT_TIMEZONE", DEFAULT_ZONE)
        if has_app_context()
        else DEFAULT_ZONE
    )
    return ZoneInfo(name)


def today() -> date:
    return datetime.now(zone()).date()


def start_of_day_utc(day: date) -> datetime:
    """The naive UTC instant at which ``day`` begins in Vietnam (timestamps are stored naive UTC)."""
    local = datetime.combine(day, time.min, tzinfo=zone())
    return local.astimezone(UTC).replace(tzinfo=None)
