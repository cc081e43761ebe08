"""The council's minutes (biên bản họp Hội đồng Thi đua – Khen thưởng) as a PDF.

``render_minutes(data)`` lays out the plain values built by ``awards.ballots.minutes_data`` with the
shared document stylesheet and a few rules of its own (``static/css/minutes.css``): the renderer never
sees an ORM object.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from exports import pdf

MINUTES_TEMPLATE = "minutes.html"
STYLESHEETS = (pdf.STYLESHEET, "css/minutes.css")


def render_minutes(data: Mapping[str, Any]) -> bytes:
    """The minutes PDF from ``minutes_data``'s values."""
    return pdf.render_pdf(MINUTES_TEMPLATE, data, stylesheets=STYLESHEETS)


def minutes_filename(held_on: str, ballot_id: int) -> str:
    """An ASCII file name for the download: "Bien-ban-hop-Hoi-dong-12-10-2025-3.pdf"."""
    folded = unicodedata.normalize("NFKD", held_on)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", folded.encode("ascii", "ignore").decode()).strip("-")
    return f"Bien-ban-hop-Hoi-dong-{slug or 'phien'}-{ballot_id}.pdf"
