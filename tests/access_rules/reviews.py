"""Who may reach the reviewer's workspace (``awards/review_views.py``).

Everything is the reviewer's, except reopening a submitted review, which is the board's (an empty form
goes back to the nomination with a message: 302). The world's ``review`` belongs to ``reviewer``, so the
score page and the evidence file of its nomination answer 200 to them; an empty POST of the score form
comes back with its errors (422: the world's nomination is a draft, not in review). The score sheet of
the world's round downloads (200); an empty upload goes back to the list with a message (302).
"""

from __future__ import annotations

from tests.access_rules import Rule, expect

REVIEW = {"review_id": "review"}

RULES: dict[str, Rule | tuple[Rule, ...]] = {
    "reviews.index": expect(reviewer=200),
    "reviews.detail": (
        expect(url_args=REVIEW, reviewer=200),
        expect("POST", url_args=REVIEW, reviewer=422),
    ),
    "reviews.reopen": expect("POST", url_args=REVIEW, board=302),
    "reviews.sheet": expect(data={"round": "CDS2025"}, reviewer=200),
    "reviews.upload_sheet": expect("POST", reviewer=302),
}
RULES["reviews.recuse"] = expect("POST", url_args=REVIEW, reviewer=302)
