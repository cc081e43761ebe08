"""Finding the round a page or command is about: by its code, from ``?round=CODE``, or by asking."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template, request

from awards.extensions import db
from models import Round


def round_by_code(code: str | None) -> Round | None:
    """The round whose code is ``code`` (surrounding spaces ignored), or None."""
    code = (code or "").strip()
    if not code:
        return None
    return db.session.scalar(sa.select(Round).where(Round.code == code))


def round_or_404(code: str | None) -> Round:
    return round_by_code(code) or abort(404)


def round_from_args() -> Round | None:
    """The round named by ``?round=CODE`` (404 when unknown), or None when none is named."""
    code = request.args.get("round", "").strip()
    return round_or_404(code) if code else None


def choose_round(endpoint: str, title: str) -> str:
    """A page listing every round, each linking to ``endpoint`` with ``?round=CODE``."""
    rounds = db.session.scalars(
        sa.select(Round).order_by(Round.ceremony_date.desc(), Round.code)
    ).all()
    return render_template(
        "dossiers/choose_round.html", rounds=rounds, endpoint=endpoint, title=title
    )
