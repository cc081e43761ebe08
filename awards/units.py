"""Units (placeholder: the units area is being built)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("units", __name__, url_prefix="/admin/units")


@bp.route("/")
def index() -> str:
    return "units"
