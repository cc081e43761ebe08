"""Scoring in a real browser: a council member scores two nominations of the tests' own round (each
has 2 of its 3 reviews in, as ``demo_reviews.score_halfway`` leaves them), and the board's ranking
changes: 3/3 reviews and a score for both."""

from __future__ import annotations

import re

from tests.e2e.seed_round import ROUND_CODE

REFERENCE = re.compile(rf"{ROUND_CODE}-\d{{6}}")


def _ranking(page, base: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Every row of the tests' round in the ranking, over all award-form tabs: reference → the row's
    text."""
    page.goto(f"{base}/ranking/?round={ROUND_CODE}")
    tabs = page.locator("a[href*='award_form=']").evaluate_all("els => els.map(e => e.href)")
    rows: dict[str, str] = {}
    for tab in dict.fromkeys(tabs):
        page.goto(tab)
        for text in page.locator("tbody tr").all_inner_texts():
            found = REFERENCE.search(text)
            if found:
                rows[found.group()] = " ".join(text.split())
    return rows


def test_a_reviewer_scores_two_nominations_and_the_ranking_changes(log_in, server: str) -> None:
    board = log_in("bantdkt")
    before = _ranking(board, server)

    reviewer = log_in("hoidong5")
    reviewer.goto(f"{server}/reviews/")
    pending = reviewer.locator("tr", has_text=f"{ROUND_CODE}-").filter(has_not_text="Đã nộp")
    targets = []
    for row in pending.all()[:2]:
        href = row.locator("a[href^='/reviews/']").first.get_attribute("href")
        targets.append((REFERENCE.search(row.inner_text()).group(), href))
    assert len(targets) == 2

    for reference, href in targets:
        assert "2/3" in before[reference]
        reviewer.goto(f"{server}{href}")
        for field in reviewer.query_selector_all("input[name^=points_]"):
            field.fill(field.get_attribute("max"))
        for comment in reviewer.query_selector_all("textarea[name^=comment_]"):
            comment.fill("Kết quả đạt và vượt chỉ tiêu, minh chứng đầy đủ.")
        reviewer.fill("textarea[name=comment]", "Đề nghị khen thưởng.")
        reviewer.click("#submit_review")
        reviewer.wait_for_load_state()
    reviewer.goto(f"{server}/reviews/")
    for reference, _href in targets:
        assert "Đã nộp" in reviewer.locator("tr", has_text=reference).inner_text()
    assert reviewer.js_errors == []

    after = _ranking(board, server)
    for reference, _href in targets:
        assert "3/3" in after[reference], after[reference]
        assert after[reference] != before[reference]
    assert board.js_errors == []
