"""The administrative documents: plain data built from the database, rendered by ``exports.pdf``.

``submission_data(submission, ...)`` reads a unit's Tờ trình and its nominations once and returns a dict
of plain values (strings, numbers, lists); ``render_submission(data)`` lays that dict out as the PDF. The
renderer never sees an ORM object, so a document can be re-rendered from stored parameters and a
template cannot reach the database.

The wording follows administrative practice (Decree 30/2020/NĐ-CP): capitals for the issuing bodies and
the signer's title, dates as "ngày 05 tháng 9 năm 2025", counts below ten with a leading zero.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from awards.nominations import place_of
from awards.templating import long_date
from exports import pdf
from models import Nomination, RecipientKind, Submission, Unit, UnitKind

SUBMISSION_TEMPLATE = "submission.html"
RECIPIENTS = ("Như trên", "Lưu: VT")
# Bodies that print their superior above their own name; local governments and enterprises do not.
_SHOWS_SUPERIOR = frozenset({UnitKind.PROVINCIAL_BODY, UnitKind.OTHER})
_PEOPLES_COMMITTEE = re.compile(r"ủy ban nhân dân|uỷ ban nhân dân", re.IGNORECASE)
_NUMERALS = ("I", "II", "III", "IV")


def _nfc(text: str | None) -> str:
    return unicodedata.normalize("NFC", text or "").strip()


def capitals(text: str) -> str:
    """Upper case for headings: Python's ``upper`` knows the Vietnamese letters (ủy → ỦY, đ → Đ)."""
    return _nfc(text).upper()


def superior_line(unit: Unit) -> str:
    """The superior body printed above a department's name: "UBND TỈNH BẮC NINH"."""
    if unit.kind not in _SHOWS_SUPERIOR or unit.parent is None:
        return ""
    return capitals(_PEOPLES_COMMITTEE.sub("UBND", _nfc(unit.parent.name)))


def count_phrase(collectives: int, individuals: int, joiner: str = " và ") -> str:
    """ "02 tập thể và 03 cá nhân" (only the kinds present)."""
    parts = []
    if collectives:
        parts.append(f"{pdf.two_digits(collectives)} tập thể")
    if individuals:
        parts.append(f"{pdf.two_digits(individuals)} cá nhân")
    return joiner.join(parts)


def join_names(names: list[str]) -> str:
    """ "A", "A và B", "A, B và C"."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " và " + names[-1]


def percent(part: int, whole: int) -> str:
    """Vietnamese percentage with one decimal when needed: 85,7 — 100."""
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    text = format(value.normalize(), "f") if value != value.to_integral() else str(int(value))
    return text.replace(".", ",")


def _row(nomination: Nomination) -> dict[str, str]:
    return {
        "reference": nomination.reference or "",
        "name": _nfc(nomination.nominee_name),
        "place": place_of(nomination),
        "form": _nfc(nomination.award_form.name),
        "citation": _nfc(nomination.citation),
    }


def submission_data(submission: Submission, *, place: str, addressee: str) -> dict[str, Any]:
    """The plain values of ``submission``'s Tờ trình and its list (danh sách).

    ``place`` is the place name of the date line ("Bắc Ninh"); ``addressee`` the body the Tờ trình is
    sent to ("Sở Nội vụ tỉnh Bắc Ninh").
    """
    unit = submission.unit
    campaign = submission.round.campaign
    nominations = sorted(
        submission.nominations,
        key=lambda n: (n.kind is RecipientKind.INDIVIDUAL, n.award_form.position, n.id),
    )
    forms = sorted({n.award_form for n in nominations}, key=lambda f: (f.position, f.id))
    by_form = Counter((n.award_form_id, n.kind) for n in nominations)
    collectives = sum(1 for n in nominations if n.kind is RecipientKind.COLLECTIVE)
    individuals = len(nominations) - collectives

    kinds = {
        (True, True): "các tập thể, cá nhân",
        (True, False): "các tập thể",
        (False, True): "các cá nhân",
        (False, False): "các tập thể, cá nhân",
    }[(collectives > 0, individuals > 0)]
    award_names = join_names([_nfc(f.name) for f in forms])
    subject = (
        f"Về việc đề nghị tặng {award_names} cho {kinds}"
        if forms
        else f"Về việc đề nghị khen thưởng {kinds}"
    )
    subject += f" đã có thành tích xuất sắc trong phong trào thi đua “{_nfc(campaign.name)}”"

    sections = []
    for kind, heading, name_header, place_header in (
        (RecipientKind.COLLECTIVE, "TẬP THỂ", "Tên tập thể", "Đơn vị"),
        (RecipientKind.INDIVIDUAL, "CÁ NHÂN", "Họ và tên", "Chức vụ, đơn vị công tác"),
    ):
        rows = [_row(n) for n in nominations if n.kind is kind]
        if rows:
            sections.append(
                {
                    "numeral": _NUMERALS[len(sections)],
                    "heading": heading,
                    "name_header": name_header,
                    "place_header": place_header,
                    "rows": rows,
                }
            )

    return {
        "number": _nfc(submission.number),
        "issuer": {
            "superior": superior_line(unit),
            "heading": capitals(unit.name),
            "name": _nfc(unit.name),
        },
        "place": _nfc(place),
        "date_line": long_date(submission.signed_on),
        "signed_on": submission.signed_on.strftime("%d/%m/%Y"),
        "subject": subject,
        "addressee": _nfc(addressee),
        "campaign": _nfc(campaign.name),
        "plan_reference": _nfc(campaign.plan_reference),
        "round": _nfc(submission.round.name),
        "minutes_date": submission.minutes_date.strftime("%d/%m/%Y"),
        "votes_for": submission.votes_for,
        "council_members": submission.council_members,
        "vote_percent": percent(submission.votes_for, submission.council_members),
        "total": len(nominations),
        "recipients_phrase": count_phrase(collectives, individuals),
        "summary": [
            {
                "form": _nfc(form.name),
                "counts": count_phrase(
                    by_form[(form.id, RecipientKind.COLLECTIVE)],
                    by_form[(form.id, RecipientKind.INDIVIDUAL)],
                    ", ",
                ),
            }
            for form in forms
        ],
        "sections": sections,
        "recipients": list(RECIPIENTS),
        "signer": {
            "title_lines": [
                capitals(line) for line in submission.signer_title.splitlines() if line.strip()
            ],
            "name": _nfc(submission.signer_name),
        },
    }


def render_submission(data: dict[str, Any]) -> bytes:
    """The Tờ trình PDF from ``submission_data``'s values."""
    return pdf.render_pdf(SUBMISSION_TEMPLATE, data)


def submission_filename(number: str) -> str:
    """An ASCII file name for the download: "To-trinh-15-TTr-STTTT.pdf"."""
    folded = unicodedata.normalize("NFKD", number.replace("Đ", "D").replace("đ", "d"))
    ascii_only = folded.encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_only).strip("-")
    return f"To-trinh-{slug or 'so'}.pdf"
