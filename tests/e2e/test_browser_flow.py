"""The whole filing flow in a real browser: Debian's chromium driven by Playwright for Python.

A real server (gunicorn, as ``make run`` starts it) runs on a temporary SQLite database loaded with the
demo and the tests' own round caught mid-filing (``seed_round.ROUND_CODE``). A unit clerk files
an individual nomination with a Vietnamese name and an evidence file, the unit head submits it
through a Tờ trình, and the board finds it in its list. Skipped when chromium is not installed, except under
``REQUIRE_BROWSER_TEST=true`` (``.ci/run`` in CI), where that is a failure.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from tests.e2e.seed_round import ROUND_CODE

NOMINEE = "Nguyễn Thị Ánh Tuyết"


def test_clerk_files_head_submits_board_finds_it(log_in, server: str, tmp_path: Path) -> None:
    evidence = tmp_path / "Bằng chứng sáng kiến.pdf"
    evidence.write_bytes(
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )

    # The clerk drafts an individual nomination and attaches the evidence.
    clerk = log_in("canbo.stttt")
    clerk.goto(f"{server}/nominations/new?round={ROUND_CODE}&kind=individual")
    clerk.fill("#nominee_name", NOMINEE)
    clerk.select_option("#sex", "female")
    clerk.fill("#date_of_birth", "1990-04-12")
    clerk.fill("#position", "Chuyên viên Phòng Chuyển đổi số")
    clerk.select_option("#staff_category", "staff")
    clerk.fill("#citation", "Đã có thành tích xuất sắc trong phong trào thi đua “Chuyển đổi số”")
    clerk.fill("#report_profile", "Sinh năm 1990, quê quán Bắc Ninh; kỹ sư Công nghệ thông tin.")
    clerk.fill(
        "#report_achievements", "Xây dựng trợ lý ảo hỗ trợ người dân tra cứu thủ tục hành chính."
    )
    for score in clerk.query_selector_all("input[name^=score_]"):
        score.fill("12.5")
    clerk.click("#submit")
    clerk.wait_for_selector("text=" + NOMINEE)
    detail_url = clerk.url
    assert "/nominations/" in detail_url
    clerk.set_input_files("input[name=file]", str(evidence))
    clerk.click("form[enctype='multipart/form-data'] [type=submit]")
    clerk.wait_for_selector("text=Bằng chứng sáng kiến.pdf")
    assert clerk.js_errors == []

    # The unit head signs the Tờ trình with this nomination.
    head = log_in("thutruong.stttt")
    head.goto(f"{server}/dossiers/new?round={ROUND_CODE}")
    today = date.today().isoformat()
    head.fill("#number", "25/TTr-STTTT")
    head.fill("#signed_on", today)
    head.fill("#signer_title", "GIÁM ĐỐC")
    head.fill("#signer_name", "Hoàng Văn Nam")
    head.fill("#minutes_date", today)
    head.fill("#council_members", "7")
    head.fill("#votes_for", "6")
    for box in head.query_selector_all("input[name=nomination_ids]"):
        box.uncheck()  # the unit's other drafts stay drafts
    head.get_by_label(re.compile(NOMINEE)).check()
    head.click("#submit")
    head.wait_for_selector("text=25/TTr-STTTT")
    assert head.js_errors == []

    # The board finds it, submitted, in its list.
    board = log_in("bantdkt")
    board.goto(f"{server}/nominations/?q=nguyen+thi+anh+tuyet")
    row = board.locator("tr", has_text=NOMINEE)
    assert row.count() == 1
    assert "Đã trình" in row.inner_text()

    # The board accepts it into review, and returns a nomination of another unit's dossier.
    board.goto(f"{server}/intake/?round={ROUND_CODE}")
    board.click("text=25/TTr-STTTT")
    board.click("button:has-text('Tiếp nhận để chấm điểm')")
    board.wait_for_selector(".badge:has-text('Đang chấm điểm')")
    board.goto(f"{server}/intake/?round={ROUND_CODE}")
    board.click("text=19/TTr-CAT")
    first = board.locator(".card").first
    first.locator("textarea[name=reason]").fill("Thiếu số liệu so sánh với năm 2024.")
    first.locator("button:has-text('Trả lại hồ sơ cho đơn vị')").click()
    board.wait_for_selector(".badge:has-text('Bị trả lại')")
    assert board.js_errors == []

    # Another unit's head sees none of it.
    other = log_in("thutruong.tuson")
    response = other.goto(detail_url)
    assert response is not None and response.status == 404
    other.goto(f"{server}/nominations/?q=nguyen+thi+anh+tuyet")
    assert other.locator("tr", has_text=NOMINEE).count() == 0
