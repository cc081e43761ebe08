"""The board's intake (``awards/intake_views.py``): the overview, a dossier's appraisal, accept and return
with a reason, and filing extensions. Access is declared in ``tests/access_rules/dossiers.py``."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from awards import clock, submissions
from awards.extensions import db as _db
from models import (
    Extension,
    Nomination,
    NominationState,
    RecipientKind,
    Role,
    RoundPhase,
    Submission,
)
from tests.test_dossier_views import _as, _count, _text
from tests.test_submissions import TODAY, Filing, build_filing


@pytest.fixture()
def filing(db: object, make_unit, make_user, monkeypatch: pytest.MonkeyPatch) -> Filing:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    return build_filing(make_unit, make_user)


@pytest.fixture()
def dossier(filing: Filing) -> Submission:
    submission = filing.submit(
        [
            filing.draft(name="Nguyễn Thị Phượng"),
            filing.draft(name="Đặng Quốc Huy"),
            filing.draft(RecipientKind.COLLECTIVE, form="GK", name="Phòng Bưu chính"),
        ]
    )
    _db.session.commit()
    return submission


def _state(nomination: Nomination) -> NominationState:
    _db.session.expire_all()
    return _db.session.get(Nomination, nomination.id).state


def test_overview_by_unit(filing: Filing, dossier: Submission, client: FlaskClient) -> None:
    filing.draft(name="Người Còn Nháp")
    submissions.grant_extension(
        filing.round, filing.other_unit, date(2025, 10, 4), "Sáp nhập đơn vị", filing.board
    )
    _db.session.commit()
    _as(client, filing.board)

    html = _text(client.get(f"/intake/?round={filing.round.code}"))

    assert "Sở Thông tin và Truyền thông" in html
    assert "Ủy ban nhân dân huyện Yên Phong" in html
    assert f'href="/intake/dossiers/{dossier.id}">15/TTr-STTTT</a>' in html
    assert "3 chờ tiếp nhận" in html
    assert "Thiếu</span>" in html  # no minutes file yet
    assert "04/10/2025" in html
    assert "Tổng cộng (2 đơn vị)" in html
    assert "Người Còn Nháp" not in html  # counts only, never the drafts themselves


def test_overview_without_round_and_for_others(filing: Filing, client: FlaskClient) -> None:
    _as(client, filing.board)
    assert f'href="/intake/?round={filing.round.code}"' in _text(client.get("/intake/"))
    _as(client, filing.head)
    assert client.get(f"/intake/?round={filing.round.code}").status_code == 403


def test_dossier_page_shows_each_nominations_problems(
    filing: Filing,
    dossier: Submission,
    client: FlaskClient,
) -> None:
    dossier.nominations[1].report_measures = ""
    dossier.nominations[1].report_achievements = ""
    _db.session.commit()
    _as(client, filing.board)

    html = _text(client.get(f"/intake/dossiers/{dossier.id}"))

    assert "Chưa có tệp biên bản họp Hội đồng thi đua của đơn vị kèm Tờ trình." in html
    assert "Báo cáo thành tích: thiếu phần II (thành tích đạt được)." in html
    assert html.count("Có vấn đề</span>") == 1
    assert "Tiếp nhận 2 hồ sơ đầy đủ" in html
    assert f'action="/intake/nominations/{dossier.nominations[0].id}/return"' in html
    assert client.get("/intake/dossiers/999999").status_code == 404


def test_accept_and_return_with_reason_in_history(
    filing: Filing,
    dossier: Submission,
    client: FlaskClient,
) -> None:
    accepted, returned, _ = dossier.nominations
    _as(client, filing.board)

    response = client.post(f"/intake/nominations/{accepted.id}/accept")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/intake/dossiers/{dossier.id}#nominations"
    refused = client.post(
        f"/intake/nominations/{returned.id}/return", data={"reason": ""}, follow_redirects=True
    )
    assert "Vui lòng nêu lý do trả lại hồ sơ" in _text(refused)
    assert _state(returned) is NominationState.SUBMITTED
    page = client.post(
        f"/intake/nominations/{returned.id}/return",
        data={"reason": "Báo cáo chưa có số liệu so sánh năm 2024."},
        follow_redirects=True,
    )

    assert "Đã trả lại hồ sơ" in _text(page)
    assert _state(accepted) is NominationState.IN_REVIEW
    assert _state(returned) is NominationState.RETURNED
    event = _db.session.get(Nomination, returned.id).events[-1]
    assert (event.action, event.reason, event.actor_id) == (
        "return",
        "Báo cáo chưa có số liệu so sánh năm 2024.",
        filing.board.id,
    )
    # The unit sees the reason in the nomination's history.
    _as(client, filing.clerk)
    assert "Báo cáo chưa có số liệu so sánh năm 2024." in _text(
        client.get(f"/nominations/{returned.id}")
    )
    # Accepting again is refused with a message, not an error page.
    _as(client, filing.board)
    again = client.post(f"/intake/nominations/{accepted.id}/accept", follow_redirects=True)
    assert "Không thể thực hiện thao tác này" in _text(again)


def test_board_member_of_the_unit_may_not_decide(
    filing: Filing,
    dossier: Submission,
    client: FlaskClient,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    insider = make_user(Role.BOARD, unit=filing.unit)
    _as(client, insider)

    assert client.post(f"/intake/nominations/{dossier.nominations[0].id}/accept").status_code == 403
    assert client.post(f"/intake/dossiers/{dossier.id}/accept-complete").status_code == 403
    assert _state(dossier.nominations[0]) is NominationState.SUBMITTED


def test_accept_all_complete(filing: Filing, dossier: Submission, client: FlaskClient) -> None:
    incomplete = dossier.nominations[2]
    incomplete.citation = ""
    _db.session.commit()
    _as(client, filing.board)

    page = client.post(f"/intake/dossiers/{dossier.id}/accept-complete", follow_redirects=True)

    assert "Đã tiếp nhận 2 hồ sơ đầy đủ để chấm điểm." in _text(page)
    assert [_state(n) for n in dossier.nominations] == [
        NominationState.IN_REVIEW,
        NominationState.IN_REVIEW,
        NominationState.SUBMITTED,
    ]
    none_left = client.post(f"/intake/dossiers/{dossier.id}/accept-complete", follow_redirects=True)
    assert "Không có hồ sơ đầy đủ nào đang chờ tiếp nhận." in _text(none_left)


def test_accept_after_intake_closed_is_a_message(
    filing: Filing,
    dossier: Submission,
    client: FlaskClient,
) -> None:
    filing.round.phase = RoundPhase.COUNCIL
    _db.session.commit()
    _as(client, filing.board)

    page = client.post(f"/intake/dossiers/{dossier.id}/accept-complete", follow_redirects=True)

    assert "Đợt xét không ở giai đoạn cho phép thao tác này." in _text(page)
    assert _state(dossier.nominations[0]) is NominationState.SUBMITTED


# --------------------------------------------------------------------------- extensions


def test_extensions_grant_list_and_revoke(filing: Filing, client: FlaskClient) -> None:
    _as(client, filing.board)
    url = f"/intake/extensions?round={filing.round.code}"
    form = _text(client.get(url))
    assert f'<option value="{filing.other_unit.id}">' in form
    assert 'value="2025-09-30"' in form  # the deadline, when it is not past yet

    response = client.post(
        url,
        data={"unit_id": filing.other_unit.id, "until": "05/10/2025", "reason": "Sáp nhập đơn vị"},
    )
    assert response.status_code == 302
    extension = _db.session.scalar(sa.select(Extension))
    assert (extension.unit_id, extension.until, extension.reason) == (
        filing.other_unit.id,
        date(2025, 10, 5),
        "Sáp nhập đơn vị",
    )
    listing = _text(client.get(url))
    assert (
        "Đã gia hạn nộp hồ sơ cho Ủy ban nhân dân huyện Yên Phong đến hết ngày 05/10/2025."
        in listing
    )
    assert "Sáp nhập đơn vị" in listing

    early = client.post(
        url, data={"unit_id": filing.unit.id, "until": "2025-09-01", "reason": "Sớm"}
    )
    assert "Ngày gia hạn phải từ hạn nộp hồ sơ của đợt xét (30/09/2025) trở về sau." in _text(early)
    no_unit = client.post(url, data={"unit_id": "0", "until": "2025-10-01", "reason": "x"})
    assert "Hãy chọn đơn vị được gia hạn." in _text(no_unit)
    assert _count(Extension) == 1

    revoked = client.post(f"/intake/extensions/{extension.id}/revoke", follow_redirects=True)
    assert "Đã hủy gia hạn nộp hồ sơ của Ủy ban nhân dân huyện Yên Phong." in _text(revoked)
    assert _count(Extension) == 0
    assert client.post(f"/intake/extensions/{extension.id}/revoke").status_code == 404


def test_extension_refused_after_filing_phase(filing: Filing, client: FlaskClient) -> None:
    filing.round.phase = RoundPhase.REVIEWING
    _db.session.commit()
    _as(client, filing.board)

    page = client.post(
        f"/intake/extensions?round={filing.round.code}",
        data={"unit_id": filing.unit.id, "until": "2025-10-05", "reason": "Muộn"},
    )

    assert "Đợt xét đã qua giai đoạn nhận hồ sơ: không thể gia hạn." in _text(page)
    assert _count(Extension) == 0


def test_dossier_pages_do_not_query_per_nomination(client, db, login_as):
    """The board's dossier page and the unit's dossier list cost the same number of queries for a
    dossier of 2 nominations as for one of 6."""
    from tests import factories
    from tests.conftest import counting_queries, login

    filing = factories.make_filing()
    unit = factories.make_unit()
    head = factories.make_user(Role.UNIT_HEAD, unit=unit)
    small = factories.make_submission(
        filing, unit, head, [factories.make_nomination(filing, unit, head) for _ in range(2)]
    )
    large = factories.make_submission(
        filing, unit, head, [factories.make_nomination(filing, unit, head) for _ in range(6)]
    )
    db.session.commit()
    login_as(Role.BOARD)

    for submission in (small, large):  # warm up: first requests load the user, the round …
        client.get(f"/intake/dossiers/{submission.id}")
    counts = []
    for submission in (small, large):
        with counting_queries() as statements:
            assert client.get(f"/intake/dossiers/{submission.id}").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]

    # The unit's page: a unit with 2 drafts and one with 6 cost the same.
    heads = []
    for drafts in (2, 6):
        other = factories.make_unit()
        other_head = factories.make_user(Role.UNIT_HEAD, unit=other)
        for _ in range(drafts):
            factories.make_nomination(filing, other, other_head)
        heads.append(other_head.username)
    db.session.commit()
    url = f"/dossiers/?round={filing.round.code}"
    sizes = []
    for username in heads:
        client.post("/logout")
        login(client, username)
        client.get(url)  # warm up
        with counting_queries() as statements:
            assert client.get(url).status_code == 200
        sizes.append(len(statements))
    assert sizes[0] == sizes[1]
