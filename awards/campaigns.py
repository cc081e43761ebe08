"""Campaign set-up (placeholder: the campaigns area is being built)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")


@bp.route("/")
def index() -> str:
    return "campaigns"
