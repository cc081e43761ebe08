"""The reviewer's workspace (``awards/review_views.py``): what a reviewer may open, the score form, the
hidden-until-own-review rule, save and next, the board's reopening, the offline sheet over HTTP."""

from __future__ import annotations

import re
from decimal import Decimal
from io import BytesIO

from flask.testing import FlaskClient
from openpyxl import load_workbook

from awards import scoring
from awards.extensions import db as _db
from awards.storage import get_storage
from models import NominationState, Review, ReviewState
from tests import factories as f
from tests.conftest import login
from tests.test_scoring import Scene, _fill, make_scene, submit

D = Decimal


def form_data(scene: Scene, review: Review, points: dict[str, str], **extra: str) -> dict:
    data = {f"points_{scene.code(c)}": p for c, p in points.items()}
    data.update({f"comment_{scene.code(c)}": "Nhận xét" for c in points})
    data["version"] = str(review.version)
    data.update(extra)
    return data


def ready(n: int = 2) -> Scene:
    scene = make_scene(n)
    _db.session.commit()
    return scene


def test_the_score_page_shows_the_dossier_and_the_form(client: FlaskClient, db):
    scene = ready(1)
    review = scene.reviews[0]
    f.add_evidence(scene.nomination, scene.head, scene.filing.criteria["1.1"])
    scene.nomination.report_achievements = "<b>Dòng một</b>\nDòng hai"
    _db.session.commit()
    login(client, review.reviewer.username)
    page = client.get(f"/reviews/{review.id}").get_data(as_text=True)
    assert scene.nomination.nominee_name in page
    assert "&lt;b&gt;Dòng một&lt;/b&gt;" in page
    assert f'name="points_{scene.code("1.1")}"' in page
    assert 'step="0.5"' in page
    assert "Lưu nháp" in page and "Nộp phiếu chấm" in page and "Lưu và chấm hồ sơ tiếp theo" in page
    file = scene.nomination.files[0]
    link = f"/files/{file.id}"
    assert link in page
    assert "Từ chối chấm do xung đột lợi ích" in page


def test_a_reviewer_opens_only_their_own_open_reviews(client: FlaskClient, db):
    scene = ready(2)
    mine, theirs = scene.reviews
    login(client, mine.reviewer.username)
    assert client.get(f"/reviews/{theirs.id}").status_code == 404
    assert client.get(f"/reviews/{mine.id}").status_code == 200
    mine.state = ReviewState.RECUSED
    _db.session.commit()
    assert client.get(f"/reviews/{mine.id}").status_code == 404
    assert client.get("/reviews/999999").status_code == 404


def test_a_conflicted_reviewer_cannot_open_the_review_by_url(client: FlaskClient, db):
    scene = ready(1)
    review = scene.reviews[0]
    review.reviewer.unit_id = scene.nomination.unit_id
    _db.session.commit()
    login(client, review.reviewer.username)
    assert client.get(f"/reviews/{review.id}").status_code == 404
    assert client.get("/reviews/").get_data(as_text=True).count(scene.nomination.reference) == 0


def test_other_scores_are_hidden_until_my_review_is_submitted(client: FlaskClient, db):
    scene = ready(2)
    theirs, mine = scene.reviews
    submit(scene, theirs, {"1.1": "37.5", "1.2": "13.5", "1.3": "11.5"})
    _db.session.commit()
    login(client, mine.reviewer.username)
    before = client.get(f"/reviews/{mine.id}").get_data(as_text=True)
    assert "37,5" not in before and "13,5" not in before
    assert theirs.reviewer.full_name not in before
    response = client.post(
        f"/reviews/{mine.id}",
        data=form_data(scene, mine, {"1.1": "20", "1.2": "15", "1.3": "15"}, submit_review="1"),
    )
    assert response.status_code == 302
    after = client.get(f"/reviews/{mine.id}").get_data(as_text=True)
    assert "37,5" in after and theirs.reviewer.full_name in after
    # read-only once submitted
    assert "Nộp phiếu chấm" not in after
    assert f'name="points_{scene.code("1.1")}"' not in after


def test_save_a_draft_then_submit(client: FlaskClient, db):
    scene = ready(1)
    review = scene.reviews[0]
    login(client, review.reviewer.username)
    response = client.post(
        f"/reviews/{review.id}",
        data=form_data(scene, review, {"1.1": "25,5"}, save="1", comment="Chấm dở"),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/reviews/{review.id}"
    _db.session.expire_all()
    assert review.state is ReviewState.DRAFT
    assert [s.points for s in review.scores] == [D("25.5")]
    incomplete = client.post(
        f"/reviews/{review.id}", data=form_data(scene, review, {"1.1": "25.5"}, submit_review="1")
    )
    assert incomplete.status_code == 422
    assert "Chưa chấm điểm tiêu chí 1.2." in incomplete.get_data(as_text=True)
    out_of_range = client.post(
        f"/reviews/{review.id}", data=form_data(scene, review, {"1.1": "41"}, save="1")
    )
    assert out_of_range.status_code == 422
    done = client.post(
        f"/reviews/{review.id}",
        data=form_data(scene, review, {"1.1": "25.5", "1.2": "15", "1.3": "15"}, submit_review="1"),
    )
    assert done.status_code == 302
    _db.session.expire_all()
    assert (review.state, review.total) == (ReviewState.SUBMITTED, D("55.500"))


def test_a_stale_form_is_refused_with_409(client: FlaskClient, db):
    scene = ready(1)
    review = scene.reviews[0]
    login(client, review.reviewer.username)
    stale = form_data(scene, review, {"1.1": "10"}, save="1")
    assert client.post(f"/reviews/{review.id}", data=stale).status_code == 302
    again = client.post(
        f"/reviews/{review.id}", data={**stale, f"points_{scene.code('1.1')}": "30"}
    )
    assert again.status_code == 409
    _db.session.expire_all()
    assert [s.points for s in review.scores] == [D("10")]


def test_save_and_next_goes_to_my_pending_review_with_fewest_reviews(client: FlaskClient, db):
    scene = make_scene(2)
    me = scene.reviews[0].reviewer
    second = f.make_nomination(scene.filing, scene.nomination.unit, scene.head)
    f.make_submission(scene.filing, scene.nomination.unit, scene.head, [second])
    f.bring_to(second, NominationState.IN_REVIEW, head=scene.head, board=scene.filing.board)
    following = Review(nomination=second, reviewer=me)
    _db.session.add(following)
    _db.session.commit()
    login(client, me.username)
    first = scene.reviews[0]
    response = client.post(
        f"/reviews/{first.id}", data=form_data(scene, first, {"1.1": "20"}, save_next="1")
    )
    assert response.headers["Location"] == f"/reviews/{following.id}"
    last = client.post(
        f"/reviews/{following.id}",
        data=form_data(scene, following, {"1.1": "20"}, save_next="1"),
    )
    # the first one is still pending (a draft): it comes next
    assert last.headers["Location"] == f"/reviews/{first.id}"


def test_my_assignments_with_progress(client: FlaskClient, db):
    scene = ready(1)
    review = scene.reviews[0]
    login(client, review.reviewer.username)
    page = client.get("/reviews/").get_data(as_text=True)
    assert re.search(r'data-progress="[^"]+">0/1<', page)
    assert scene.nomination.reference in page
    submit(scene, review, {"1.1": "20", "1.2": "15", "1.3": "15"})
    _db.session.commit()
    page = client.get("/reviews/").get_data(as_text=True)
    assert re.search(r'data-progress="[^"]+">1/1<', page)


def test_the_board_reopens_a_submitted_review(client: FlaskClient, db):
    scene = ready(1)
    scene.filing.campaign.min_reviews = 1
    review = scene.reviews[0]
    submit(scene, review, {"1.1": "20", "1.2": "15", "1.3": "15"})
    _db.session.commit()
    assert scene.nomination.score == D("50.000")
    login(client, scene.filing.board.username)
    refused = client.post(f"/reviews/{review.id}/reopen", data={"reason": ""})
    assert refused.status_code == 302
    _db.session.expire_all()
    assert review.state is ReviewState.SUBMITTED
    response = client.post(f"/reviews/{review.id}/reopen", data={"reason": "Chấm nhầm"})
    assert response.headers["Location"] == f"/nominations/{scene.nomination.id}"
    _db.session.expire_all()
    assert (review.state, scene.nomination.score, scene.nomination.reviews_submitted) == (
        ReviewState.DRAFT,
        None,
        0,
    )


def test_a_reviewer_downloads_the_evidence_of_their_nomination_only(client: FlaskClient, db):
    scene = ready(2)
    mine, theirs = scene.reviews
    unrelated = make_scene(0)
    file = f.add_evidence(scene.nomination, scene.head)
    other_file = f.add_evidence(unrelated.nomination, unrelated.head)
    _db.session.commit()
    login(client, mine.reviewer.username)
    get_storage().put(file.storage_key, BytesIO(b"%PDF-1.4 minh chung"))
    get_storage().put(other_file.storage_key, BytesIO(b"%PDF-1.4 khac"))
    assert client.get(f"/files/{file.id}").status_code == 200  # my review's nomination
    assert client.get(f"/files/{other_file.id}").status_code == 404  # not assigned to me
    theirs.state = ReviewState.RECUSED
    mine.state = ReviewState.RECUSED
    _db.session.commit()
    assert client.get(f"/files/{file.id}").status_code == 404  # recused: no longer mine to see


def test_recusal_from_the_score_page(client: FlaskClient, db):
    scene = ready(1)
    review = scene.reviews[0]
    login(client, review.reviewer.username)
    assert client.post(f"/reviews/{review.id}/recuse", data={"reason": ""}).status_code == 302
    _db.session.expire_all()
    assert review.state is ReviewState.ASSIGNED
    response = client.post(
        f"/reviews/{review.id}/recuse", data={"reason": "Người thân công tác tại đơn vị"}
    )
    assert response.headers["Location"] == "/reviews/"
    _db.session.expire_all()
    assert review.state is ReviewState.RECUSED
    assert client.get(f"/reviews/{review.id}").status_code == 404


def test_offline_sheet_over_http(client: FlaskClient, db):
    scene = ready(1)
    review = scene.reviews[0]
    login(client, review.reviewer.username)
    response = client.get(f"/reviews/sheet.xlsx?round={scene.filing.round.code}")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert load_workbook(BytesIO(response.data))[scoring.SHEET_TITLE]["A2"].value == (
        scene.nomination.reference
    )
    bad = _fill(response.data, {scene.nomination.reference: {"1.1": 12.3}})
    refused = client.post(
        "/reviews/sheet",
        data={"round": scene.filing.round.code, "file": (BytesIO(bad), "phieu.xlsx")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert "Dòng 2:" in refused.get_data(as_text=True)
    _db.session.expire_all()
    assert review.scores == []
    good = _fill(response.data, {scene.nomination.reference: {"1.1": 12.5}})
    saved = client.post(
        "/reviews/sheet",
        data={"round": scene.filing.round.code, "file": (BytesIO(good), "phieu.xlsx")},
        content_type="multipart/form-data",
    )
    assert saved.status_code == 302
    _db.session.expire_all()
    assert (review.state, [s.points for s in review.scores]) == (ReviewState.DRAFT, [D("12.5")])
    assert client.get("/reviews/sheet.xlsx").status_code == 200  # the round chooser


def test_a_reviewer_downloads_a_file_with_its_bytes(client: FlaskClient, db):
    scene = ready(1)
    review = scene.reviews[0]
    file = f.add_evidence(scene.nomination, scene.head)
    _db.session.commit()
    get_storage().put(file.storage_key, BytesIO(b"%PDF-1.4 minh chung"))
    login(client, review.reviewer.username)
    response = client.get(f"/files/{file.id}")
    assert (response.status_code, response.data) == (200, b"%PDF-1.4 minh chung")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response.headers["Content-Disposition"]


def test_save_and_next_without_anything_left_goes_to_the_list(client: FlaskClient, db):
    scene = ready(1)
    review = scene.reviews[0]
    login(client, review.reviewer.username)
    response = client.post(
        f"/reviews/{review.id}",
        data=form_data(
            scene, review, {"1.1": "20", "1.2": "15", "1.3": "15"}, submit_review="1", save_next="1"
        ),
    )
    assert response.headers["Location"] == "/reviews/"


def test_reopen_refusals(client: FlaskClient, db):
    scene = ready(1)
    review = scene.reviews[0]
    login(client, scene.filing.board.username)
    # a review that is not submitted: a message, nothing changes
    response = client.post(f"/reviews/{review.id}/reopen", data={"reason": "Lý do"})
    assert response.status_code == 302
    _db.session.expire_all()
    assert review.state is ReviewState.ASSIGNED
    assert client.post("/reviews/999999/reopen", data={"reason": "x"}).status_code == 404
    submit(scene, review, {"1.1": "20", "1.2": "15", "1.3": "15"})
    scene.filing.board.unit_id = scene.nomination.unit_id  # the board officer's own unit
    _db.session.commit()
    assert client.post(f"/reviews/{review.id}/reopen", data={"reason": "x"}).status_code == 403


def test_sheet_upload_for_an_unknown_round_is_404(client: FlaskClient, db):
    scene = ready(1)
    login(client, scene.reviews[0].reviewer.username)
    response = client.post(
        "/reviews/sheet",
        data={"round": "KHONG-CO", "file": (BytesIO(b"x"), "phieu.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 404
