"""The unit's dossier pages (``awards/dossier_views.py``): one integration test per view and its refusals.

Who reaches each route is declared in ``tests/access_rules/dossiers.py`` and checked by the matrix.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from io import BytesIO

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from awards import clock, workflow
from awards.extensions import db as _db
from exports import pdf
from models import (
    EvidenceFile,
    Nomination,
    NominationState,
    RecipientKind,
    Submission,
)
from tests.conftest import login
from tests.test_submissions import TODAY, Filing, build_filing


@pytest.fixture()
def today(monkeypatch: pytest.MonkeyPatch) -> Callable[[date], None]:
    def move(day: date) -> None:
        monkeypatch.setattr(clock, "today", lambda: day)

    move(TODAY)
    return move


@pytest.fixture()
def filing(db: object, make_unit, make_user, today) -> Filing:  # type: ignore[no-untyped-def]
    return build_filing(make_unit, make_user)


def _as(client: FlaskClient, user) -> FlaskClient:  # type: ignore[no-untyped-def]
    client.post("/logout")
    assert login(client, user.username).status_code == 302
    return client


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def _count(model: type) -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _form(filing: Filing, batch: list[Nomination], **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "number": "15/TTr-STTTT",
        "signed_on": "2025-09-05",
        "signer_title": "KT. GIÁM ĐỐC\r\nPHÓ GIÁM ĐỐC",
        "signer_name": "Trần Minh Đức",
        "minutes_date": "02/09/2025",
        "council_members": "7",
        "votes_for": "6",
        "nomination_ids": [str(n.id) for n in batch],
    }
    data.update(overrides)
    return data


def _minutes_pdf() -> bytes:
    return pdf.render_html("<p>BIÊN BẢN HỌP HỘI ĐỒNG THI ĐUA – KHEN THƯỞNG</p>")


# --------------------------------------------------------------------------- the unit's list


def test_index_lists_drafts_readiness_quota_and_window(filing: Filing, client: FlaskClient) -> None:
    filing.setup.forms["BK"].quota_per_unit = 3
    ready = filing.draft(name="Nguyễn Thị Sẵn Sàng")
    filing.draft(name="Lê Văn Chưa Đủ", complete=False)
    submitted = filing.draft()
    filing.submit([submitted], number="14/TTr-STTTT")
    filing.draft(unit=filing.other_unit, name="Người Đơn Vị Khác")
    _db.session.commit()
    _as(client, filing.clerk)

    html = _text(client.get(f"/dossiers/?round={filing.round.code}"))

    assert "Nguyễn Thị Sẵn Sàng" in html
    assert "Lê Văn Chưa Đủ" in html
    assert "Báo cáo thành tích: thiếu phần I" in html
    assert html.count("Sẵn sàng</span>") == 1
    assert "14/TTr-STTTT" in html
    assert "Người Đơn Vị Khác" not in html
    assert "Đang trong thời hạn nhận hồ sơ: từ 01/08/2025 đến hết 30/09/2025." in html
    assert f'href="/nominations/{ready.id}"' in html
    # Quota: 1 of 3 used for the Bằng khen; the clerk may not sign, so no "Lập Tờ trình" button.
    assert (
        '<td>Bằng khen của Chủ tịch UBND tỉnh</td>\n              <td class="text-end">1</td>'
        in html
    )
    assert "Lập Tờ trình</a>" not in html


def test_index_without_round_offers_the_rounds(filing: Filing, client: FlaskClient) -> None:
    _as(client, filing.head)
    html = _text(client.get("/dossiers/"))
    assert f'href="/dossiers/?round={filing.round.code}"' in html
    assert client.get("/dossiers/?round=KHONG-CO").status_code == 404


def test_index_shows_the_extension(filing: Filing, client: FlaskClient, today) -> None:  # type: ignore[no-untyped-def]
    from awards import submissions

    submissions.grant_extension(
        filing.round, filing.unit, date(2025, 10, 3), "Sáp nhập", filing.board
    )
    _db.session.commit()
    today(date(2025, 10, 2))
    _as(client, filing.head)

    html = _text(client.get(f"/dossiers/?round={filing.round.code}"))

    assert "gia hạn nộp hồ sơ đến hết ngày 03/10/2025" in html
    assert "Lập Tờ trình</a>" in html


# --------------------------------------------------------------------------- the Tờ trình form


def test_new_form_offers_ready_drafts_only(filing: Filing, client: FlaskClient) -> None:
    ready = filing.draft(name="Nguyễn Thị Sẵn Sàng")
    not_ready = filing.draft(name="Lê Văn Chưa Đủ", complete=False)
    _db.session.commit()
    _as(client, filing.head)

    html = _text(client.get(f"/dossiers/new?round={filing.round.code}"))

    assert f'name="nomination_ids" value="{ready.id}"' in html
    assert f'value="{not_ready.id}"' not in html
    assert "1 hồ sơ đang soạn chưa đủ để trình" in html
    assert 'value="Trần Minh Đức"' in html  # the signer defaults to the head


def test_new_submits_the_dossier(filing: Filing, client: FlaskClient) -> None:
    batch = [filing.draft(RecipientKind.COLLECTIVE, form="GK"), filing.draft()]
    _db.session.commit()
    _as(client, filing.head)

    response = client.post(f"/dossiers/new?round={filing.round.code}", data=_form(filing, batch))

    submission = _db.session.scalar(sa.select(Submission))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/dossiers/{submission.id}"
    assert submission.signer_title == "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"
    assert [n.state for n in submission.nominations] == [NominationState.SUBMITTED] * 2
    page = _text(client.get(response.headers["Location"]))
    assert "Đã trình Tờ trình số 15/TTr-STTTT với 2 hồ sơ." in page
    assert "6/7 thành viên (đạt 85,7%)" in page
    assert "Chưa có tệp biên bản." in page


def test_new_with_the_minutes_file(filing: Filing, client: FlaskClient) -> None:
    batch = [filing.draft()]
    _db.session.commit()
    _as(client, filing.head)
    data = _form(filing, batch, minutes_file=(BytesIO(_minutes_pdf()), "Biên bản họp.pdf"))

    response = client.post(
        f"/dossiers/new?round={filing.round.code}", data=data, content_type="multipart/form-data"
    )

    assert response.status_code == 302
    file = _db.session.scalar(sa.select(EvidenceFile))
    submission = _db.session.scalar(sa.select(Submission))
    assert (file.submission_id, file.original_name, file.content_type) == (
        submission.id,
        "Biên bản họp.pdf",
        "application/pdf",
    )
    page = _text(client.get(response.headers["Location"]))
    assert "Biên bản họp.pdf" in page


def test_new_with_a_bad_minutes_file_submits_nothing(filing: Filing, client: FlaskClient) -> None:
    batch = [filing.draft()]
    _db.session.commit()
    _as(client, filing.head)
    data = _form(filing, batch, minutes_file=(BytesIO(b"<html>not a pdf</html>"), "Biên bản.pdf"))

    response = client.post(
        f"/dossiers/new?round={filing.round.code}", data=data, content_type="multipart/form-data"
    )

    assert response.status_code == 200
    assert (_count(Submission), _count(EvidenceFile)) == (0, 0)
    assert _db.session.get(Nomination, batch[0].id).state is NominationState.DRAFT
    assert "Biên bản.pdf" in _text(response)


def test_new_refuses_the_whole_batch_and_lists_the_failures(
    filing: Filing, client: FlaskClient
) -> None:
    filing.setup.forms["BK"].quota_per_unit = 1
    batch = [filing.draft(name="Nguyễn Thị Một"), filing.draft(name="Trần Văn Hai")]
    _db.session.commit()
    _as(client, filing.head)

    response = client.post(f"/dossiers/new?round={filing.round.code}", data=_form(filing, batch))

    html = _text(response)
    assert response.status_code == 200
    assert "không hồ sơ nào được trình" in html
    assert "Trần Văn Hai</strong>" in html
    assert "Đơn vị đã dùng hết chỉ tiêu" in html
    assert _count(Submission) == 0
    assert [_db.session.get(Nomination, n.id).state for n in batch] == [NominationState.DRAFT] * 2


def test_new_shows_the_vote_rule_on_its_field(filing: Filing, client: FlaskClient) -> None:
    batch = [filing.draft()]
    _db.session.commit()
    _as(client, filing.head)

    response = client.post(
        f"/dossiers/new?round={filing.round.code}",
        data=_form(filing, batch, council_members="8", votes_for="4"),
    )

    html = _text(response)
    assert "Tập thể/cá nhân phải được Hội đồng thi đua của đơn vị biểu quyết đạt trên 50%" in html
    assert 'id="votes_for"' in html and "is-invalid" in html
    assert _count(Submission) == 0


def test_new_refuses_a_draft_that_is_not_ready(filing: Filing, client: FlaskClient) -> None:
    not_ready = filing.draft(complete=False)
    _db.session.commit()
    _as(client, filing.head)

    response = client.post(
        f"/dossiers/new?round={filing.round.code}", data=_form(filing, [not_ready])
    )

    assert response.status_code == 200
    assert _count(Submission) == 0


def test_new_when_the_window_closed(filing: Filing, client: FlaskClient, today) -> None:  # type: ignore[no-untyped-def]
    filing.draft()
    _db.session.commit()
    today(date(2025, 10, 1))
    _as(client, filing.head)

    html = _text(client.get(f"/dossiers/new?round={filing.round.code}"))

    assert "Đã hết hạn nộp hồ sơ của đợt xét (30/09/2025)." in html
    assert '<form method="post" action="/dossiers/new' not in html


def test_clerk_may_not_submit(filing: Filing, client: FlaskClient) -> None:
    batch = [filing.draft()]
    _db.session.commit()
    _as(client, filing.clerk)

    assert client.get(f"/dossiers/new?round={filing.round.code}").status_code == 403
    response = client.post(f"/dossiers/new?round={filing.round.code}", data=_form(filing, batch))
    assert response.status_code == 403
    assert _count(Submission) == 0


# --------------------------------------------------------------------------- a dossier and its PDF


@pytest.fixture()
def dossier(filing: Filing) -> Submission:
    submission = filing.submit(
        [filing.draft(name="Nguyễn Thị Phượng"), filing.draft(RecipientKind.COLLECTIVE, form="GK")]
    )
    _db.session.commit()
    return submission


def test_detail_for_the_unit_and_the_board_not_another_unit(
    filing: Filing, dossier: Submission, client: FlaskClient
) -> None:
    url = f"/dossiers/{dossier.id}"
    _as(client, filing.clerk)
    html = _text(client.get(url))
    assert "Tờ trình số 15/TTr-STTTT" in html
    assert "Nguyễn Thị Phượng" in html
    assert f'href="/dossiers/{dossier.id}.pdf"' in html

    _as(client, filing.other_head)
    assert client.get(url).status_code == 404
    assert client.get(f"{url}.pdf").status_code == 404
    assert client.get(f"/dossiers/?round={filing.round.code}").status_code == 200
    assert "15/TTr-STTTT" not in _text(client.get(f"/dossiers/?round={filing.round.code}"))

    _as(client, filing.board)
    html = _text(client.get(url))
    assert f'href="/intake/dossiers/{dossier.id}"' in html
    assert client.get("/dossiers/999999").status_code == 404


def test_pdf_of_the_dossier(filing: Filing, dossier: Submission, client: FlaskClient) -> None:
    _as(client, filing.clerk)

    response = client.get(f"/dossiers/{dossier.id}.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'inline; filename="To-trinh-15-TTr-STTTT.pdf"'
    assert response.data.startswith(b"%PDF-")
    from pypdf import PdfReader

    text = "".join(
        "".join(p.extract_text().split()) for p in PdfReader(BytesIO(response.data)).pages
    )
    assert "Số:15/TTr-STTTT" in text
    assert "NguyễnThịPhượng" in text


def test_minutes_upload_refused_once_submitted(
    filing: Filing, dossier: Submission, client: FlaskClient
) -> None:
    _as(client, filing.head)

    response = client.post(
        f"/dossiers/{dossier.id}/minutes",
        data={"minutes_file": (BytesIO(_minutes_pdf()), "Biên bản.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )

    assert "Tờ trình này không còn thay đổi được biên bản" in _text(response)
    assert _count(EvidenceFile) == 0


def test_minutes_upload_when_the_dossier_came_back(
    filing: Filing, dossier: Submission, client: FlaskClient
) -> None:
    for nomination in dossier.nominations:
        workflow.transition(nomination, "return", filing.board, reason="Bổ sung biên bản.")
    _db.session.commit()
    _as(client, filing.head)
    assert 'action="/dossiers/' in _text(client.get(f"/dossiers/{dossier.id}"))

    empty = client.post(f"/dossiers/{dossier.id}/minutes", data={}, follow_redirects=True)
    assert "Hãy chọn tệp biên bản" in _text(empty)
    response = client.post(
        f"/dossiers/{dossier.id}/minutes",
        data={"minutes_file": (BytesIO(_minutes_pdf()), "Biên bản bổ sung.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )

    assert "Đã tải lên biên bản “Biên bản bổ sung.pdf”." in _text(response)
    assert _db.session.scalar(sa.select(EvidenceFile.submission_id)) == dossier.id
