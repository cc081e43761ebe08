"""Public disclosure of a round's proposed list (``awards/disclosure.py``, ``awards/disclosure_views.py``).

The window is counted in working days (Quốc khánh 2025: Monday 1/9 and Tuesday 2/9 are off), comments
are taken only inside it, the public page shows nothing personal, comments are protected by CSRF and a
rate limit, the board answers them, and nothing is approved and the round cannot move on before the
window has ended.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from awards import campaign_setup, clock, disclosure, workdays, workflow
from awards.campaign_setup import SetupError
from awards.disclosure import DisclosureError
from awards.extensions import db as _db
from awards.workflow import WorkflowError
from models import (
    NominationState,
    PublicComment,
    RecipientKind,
    Role,
    Round,
    RoundPhase,
)
from tests.conftest import login
from tests.factories import (
    bring_to,
    make_filing,
    make_nomination,
    make_submission,
    make_unit,
    make_user,
)

S = NominationState
OPENED = date(2025, 8, 29)  # a Friday, before the long weekend of Quốc khánh (30/8–2/9/2025)
ENDS = date(2025, 9, 9)  # 5 working days later: 3, 4, 5, 8, 9 September
DURING = date(2025, 9, 4)
AFTER = ENDS + timedelta(days=1)

BIRTH = date(1985, 5, 20)
CITIZEN_ID = "001085012345"
NOMINEE_EMAIL = "mai.tran.rieng@example.vn"
CLERK_EMAIL = "canbo.thidua@example.vn"
PROFILE = "Sinh năm 1985, quê quán xã Đông Tiến; điện thoại 0912 000 111."


class Scene:
    """A round in the council phase with 5 disclosure days: two proposed nominations of one unit (a
    collective and an individual with every personal field filled in) and one still in review."""

    def __init__(self) -> None:
        self.filing = make_filing(evidence_required=False)
        self.round: Round = self.filing.round
        self.round.disclosure_days = 5
        self.board = self.filing.board
        self.unit = make_unit("Sở Khoa học và Công nghệ")
        self.head = make_user(Role.UNIT_HEAD, unit=self.unit)
        self.head.email = CLERK_EMAIL
        submission = make_submission(self.filing, self.unit, self.head)
        self.collective = self._nominate("Phòng Quản lý công nghệ", RecipientKind.COLLECTIVE)
        self.individual = self._nominate("Trần Thị Mai", RecipientKind.INDIVIDUAL)
        self.individual.citizen_id = CITIZEN_ID
        self.individual.position = "Chuyên viên chính"
        self.individual.workplace = "Phòng Bí mật số 7"
        self.individual.report_profile = f"{PROFILE} Thư điện tử: {NOMINEE_EMAIL}"
        self.pending = self._nominate("Phòng Chưa đề xuất", RecipientKind.COLLECTIVE)
        for nomination, state in (
            (self.collective, S.PROPOSED),
            (self.individual, S.PROPOSED),
            (self.pending, S.IN_REVIEW),
        ):
            nomination.submission = submission
            bring_to(nomination, state, head=self.head, board=self.board)
        self.round.phase = RoundPhase.COUNCIL
        _db.session.commit()

    def _nominate(self, name: str, kind: RecipientKind):  # type: ignore[no-untyped-def]
        self.round.phase = RoundPhase.NOMINATING
        return make_nomination(
            self.filing, self.unit, self.head, kind=kind, name=name, evidence=False
        )

    def publish(self, monkeypatch: pytest.MonkeyPatch, on: date = OPENED) -> None:
        """Move the round into disclosure on ``on`` (the phase hook opens the window)."""
        today(monkeypatch, on)
        campaign_setup.set_round_phase(self.round, RoundPhase.DISCLOSURE)
        _db.session.commit()

    @property
    def url(self) -> str:
        return f"/public/disclosure/{self.round.code}"


@pytest.fixture()
def scene(db: object) -> Scene:
    return Scene()


def today(monkeypatch: pytest.MonkeyPatch, day: date) -> None:
    monkeypatch.setattr(clock, "today", lambda: day)


def comment_count() -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(PublicComment))


def comment_data(**changes: str) -> dict[str, str]:
    return {
        "name": "Nguyễn Văn Dân",
        "contact": "0912 345 678",
        "nominee_id": "",
        "body": "Đề nghị làm rõ thành tích năm 2025.",
    } | changes


# --------------------------------------------------------------------------- the window


def test_the_window_skips_the_weekend_and_quoc_khanh(scene: Scene) -> None:
    # The calendar itself (from the ``holidays`` package): 1 and 2 September 2025 are days off.
    assert not workdays.is_working_day(date(2025, 9, 1))
    assert not workdays.is_working_day(date(2025, 9, 2))
    assert workdays.add_working_days(OPENED, 5) == ENDS

    disclosure.open_window(scene.round, OPENED)

    assert (scene.round.disclosure_starts, scene.round.disclosure_ends) == (OPENED, ENDS)
    assert workdays.working_days_between(OPENED, ENDS) == 5


def test_entering_disclosure_opens_the_window_on_that_day(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene.publish(monkeypatch)
    assert scene.round.phase is RoundPhase.DISCLOSURE
    assert (scene.round.disclosure_starts, scene.round.disclosure_ends) == (OPENED, ENDS)
    assert disclosure.is_published(scene.round)
    assert disclosure.published_rounds() == [scene.round]


def test_no_window_without_disclosure_days(scene: Scene) -> None:
    scene.round.disclosure_days = None
    with pytest.raises(DisclosureError):
        disclosure.open_window(scene.round, OPENED)
    assert scene.round.disclosure_starts is None
    with pytest.raises(SetupError):
        campaign_setup.set_round_phase(scene.round, RoundPhase.DISCLOSURE)
    assert scene.round.phase is RoundPhase.COUNCIL


# --------------------------------------------------------------------------- comments (service)


def _add(scene: Scene, on: date, nomination_id: int | None = None) -> PublicComment:
    return disclosure.add_comment(
        scene.round,
        name="Nguyễn Văn Dân",
        contact="0912345678",
        body="Ý kiến thử nghiệm",
        nomination_id=nomination_id,
        client_addr="203.0.113.9",
        on=on,
    )


def test_comments_are_taken_only_inside_the_window(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene.publish(monkeypatch)
    for outside in (OPENED - timedelta(days=1), AFTER):
        with pytest.raises(DisclosureError, match="kết thúc"):
            _add(scene, outside)
    first = _add(scene, OPENED, scene.individual.id)
    last = _add(scene, ENDS)
    _db.session.commit()

    assert comment_count() == 2
    assert disclosure.comments_of(scene.round) == [first, last]
    assert (first.nomination_id, first.client_addr) == (scene.individual.id, "203.0.113.9")


def test_a_comment_names_only_a_listed_nominee_and_needs_every_field(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene.publish(monkeypatch)
    with pytest.raises(DisclosureError, match="không có trong danh sách"):
        _add(scene, DURING, scene.pending.id)
    with pytest.raises(DisclosureError):
        disclosure.add_comment(
            scene.round,
            name="  ",
            contact="0912345678",
            body="Ý kiến",
            nomination_id=None,
            client_addr="",
            on=DURING,
        )
    with pytest.raises(DisclosureError, match="quá dài"):
        disclosure.add_comment(
            scene.round,
            name="Nguyễn Văn Dân",
            contact="0912345678",
            body="x" * (disclosure.MAX_BODY + 1),
            nomination_id=None,
            client_addr="",
            on=DURING,
        )
    assert comment_count() == 0


def test_a_round_not_in_disclosure_takes_no_comment(scene: Scene) -> None:
    # Dates alone do not open it: the round must be in the disclosure phase.
    disclosure.open_window(scene.round, OPENED)
    assert not disclosure.is_open(scene.round, DURING)
    with pytest.raises(DisclosureError):
        _add(scene, DURING)


# --------------------------------------------------------------------------- public pages


def test_the_public_page_lists_the_proposed_and_nothing_personal(
    client: FlaskClient, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene.publish(monkeypatch)
    today(monkeypatch, DURING)

    response = client.get(scene.url)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for shown in (
        "Phòng Quản lý công nghệ",
        "Trần Thị Mai",
        "Sở Khoa học và Công nghệ",
        "Bằng khen của Chủ tịch UBND tỉnh",
        "Đã có thành tích xuất sắc trong phong trào thi đua Chuyển đổi số năm 2025",
        "từ ngày 29/08/2025 đến hết ngày 09/09/2025 (5 ngày làm việc",
        "Đang lấy ý kiến",
    ):
        assert shown in page, shown
    # Collectives before individuals.
    assert page.index("Phòng Quản lý công nghệ") < page.index("Trần Thị Mai")
    for hidden in (
        "Phòng Chưa đề xuất",  # not proposed
        "20/05/1985",
        "1985-05-20",
        CITIZEN_ID,
        NOMINEE_EMAIL,
        CLERK_EMAIL,
        PROFILE,
        "Chuyên viên chính",
        "Phòng Bí mật số 7",
        scene.individual.reference,
    ):
        assert hidden not in page, hidden
    # Accessible: every input has its label, every column header its scope.
    assert re.findall(r"<th(?=[\s>])(?![^>]*scope=)", page) == []
    for field in ("name", "contact", "nominee_id", "body"):
        assert f'<label class="form-label" for="{field}">' in page, field
    # The nominee select offers exactly the listed names.
    options = re.findall(r'<option[^>]* value="(\d*)"', page)
    assert options == ["", str(scene.collective.id), str(scene.individual.id)]


def test_the_public_page_exists_only_while_the_list_is_published(
    client: FlaskClient, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert client.get(scene.url).status_code == 404  # council phase: not published yet
    assert client.post(scene.url, data=comment_data()).status_code == 404
    assert client.get("/public/disclosure/KHONG-CO").status_code == 404
    assert "Hiện không có danh sách nào" in client.get("/public/disclosure").get_data(True)

    scene.publish(monkeypatch)
    today(monkeypatch, DURING)
    index = client.get("/public/disclosure").get_data(as_text=True)
    assert f'href="{scene.url}"' in index and "Đang lấy ý kiến" in index

    scene.round.phase = RoundPhase.DECIDED  # the decision page takes over
    _db.session.commit()
    assert client.get(scene.url).status_code == 404
    assert f'href="{scene.url}"' not in client.get("/public/disclosure").get_data(True)


def test_a_comment_is_stored_then_redirected_with_thanks(
    client: FlaskClient, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene.publish(monkeypatch)
    today(monkeypatch, DURING)

    response = client.post(
        scene.url,
        data=comment_data(nominee_id=str(scene.individual.id)),
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )

    assert (response.status_code, response.headers["Location"]) == (302, scene.url)
    assert "Cảm ơn bạn đã góp ý" in client.get(scene.url).get_data(as_text=True)
    (stored,) = disclosure.comments_of(scene.round)
    assert (stored.name, stored.contact, stored.body) == (
        "Nguyễn Văn Dân",
        "0912 345 678",
        "Đề nghị làm rõ thành tích năm 2025.",
    )
    assert (stored.nomination_id, stored.client_addr) == (scene.individual.id, "198.51.100.7")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"contact": "gọi cho tôi"}, "Nhập số điện thoại"),
        ({"contact": "dan@@example"}, "Địa chỉ thư điện tử không hợp lệ."),
        ({"name": ""}, "Vui lòng nhập mục này."),
        ({"body": "x" * 4001}, "Tối đa 4000 ký tự."),
        ({"nominee_id": "999999"}, "Not a valid choice"),
    ],
)
def test_a_refused_comment_is_shown_again_and_nothing_is_stored(
    client: FlaskClient,
    scene: Scene,
    monkeypatch: pytest.MonkeyPatch,
    changes: dict[str, str],
    message: str,
) -> None:
    scene.publish(monkeypatch)
    today(monkeypatch, DURING)
    data = comment_data(**({"name": "Lê Thị Góp Ý"} | changes))

    response = client.post(scene.url, data=data)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    if changes.get("name") != "":
        assert 'value="Lê Thị Góp Ý"' in page  # what was typed is kept
    assert comment_count() == 0


def test_a_nominee_not_on_the_list_cannot_be_chosen(
    client: FlaskClient, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene.publish(monkeypatch)
    today(monkeypatch, DURING)
    response = client.post(scene.url, data=comment_data(nominee_id=str(scene.pending.id)))
    assert response.status_code == 400
    assert comment_count() == 0


def test_after_the_window_the_list_stays_and_the_form_is_gone(
    client: FlaskClient, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene.publish(monkeypatch)
    today(monkeypatch, AFTER)

    page = client.get(scene.url).get_data(as_text=True)
    assert "Trần Thị Mai" in page
    assert "Thời gian lấy ý kiến đã kết thúc" in page and "Đã kết thúc lấy ý kiến" in page
    assert 'name="body"' not in page

    response = client.post(scene.url, data=comment_data())
    assert response.status_code == 400
    assert "Thời gian lấy ý kiến của đợt xét này đã kết thúc." in response.get_data(True)
    assert comment_count() == 0


def test_the_comment_form_needs_a_csrf_token(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    protected = make_app(WTF_CSRF_ENABLED=True)
    with protected.app_context():
        scene = Scene()
        scene.publish(monkeypatch)
        today(monkeypatch, DURING)
        client = protected.test_client()

        refused = client.post(scene.url, data=comment_data())
        assert refused.status_code == 400
        assert "Yêu cầu không hợp lệ" in refused.get_data(as_text=True)
        assert comment_count() == 0

        page = client.get(scene.url).get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert token, "the comment form carries no CSRF token"
        response = client.post(scene.url, data=comment_data(csrf_token=token.group(1)))
        assert response.status_code == 302
        assert comment_count() == 1
        _db.session.remove()


def test_comments_are_rate_limited_per_client_address(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    limited = make_app(RATELIMIT_ENABLED=True, DISCLOSURE_COMMENT_RATE_LIMIT="2 per minute")
    with limited.app_context():
        scene = Scene()
        scene.publish(monkeypatch)
        today(monkeypatch, DURING)
        client = limited.test_client()
        here = {"REMOTE_ADDR": "192.0.2.1"}

        for _ in range(2):
            assert client.post(scene.url, data=comment_data(), environ_base=here).status_code == 302
        response = client.post(scene.url, data=comment_data(), environ_base=here)

        assert response.status_code == 429
        assert "Bạn thao tác quá nhiều lần" in response.get_data(as_text=True)
        assert comment_count() == 2
        assert client.get(scene.url, environ_base=here).status_code == 200  # only POSTs count
        elsewhere = {"REMOTE_ADDR": "192.0.2.2"}
        assert (
            client.post(scene.url, data=comment_data(), environ_base=elsewhere).status_code == 302
        )
        _db.session.remove()


# --------------------------------------------------------------------------- the board's inbox


def _login(client: FlaskClient, user) -> None:  # type: ignore[no-untyped-def]
    _db.session.commit()
    assert login(client, user.username).status_code == 302


def _comments(scene: Scene) -> tuple[PublicComment, PublicComment]:
    about = _add(scene, DURING, scene.individual.id)
    general = _add(scene, DURING)
    about.created_at = datetime(2025, 9, 3, 17, 30)  # stored UTC: 00:30 on 4/9 in Hà Nội
    _db.session.commit()
    return about, general


def test_the_board_reads_every_comment_in_ha_noi_time(
    client: FlaskClient, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene.publish(monkeypatch)
    today(monkeypatch, DURING)
    about, general = _comments(scene)
    _login(client, scene.board)

    page = client.get(f"/disclosure/comments?round={scene.round.code}").get_data(as_text=True)

    assert "04/09/2025 00:30" in page
    assert "2 ý kiến, 2 ý kiến chưa trả lời." in page
    assert "Trần Thị Mai" in page and "0912345678" in page and "Ý kiến chung về danh sách" in page
    assert "từ ngày 29/08/2025 đến hết ngày 09/09/2025" in page
    assert f'href="{scene.url}"' in page
    assert f'action="/disclosure/comments/{about.id}/answer"' in page
    assert f'action="/disclosure/comments/{general.id}/answer"' in page


def test_without_a_round_the_board_chooses_one(client: FlaskClient, scene: Scene) -> None:
    _login(client, scene.board)
    page = client.get("/disclosure/comments").get_data(as_text=True)
    assert f'href="/disclosure/comments?round={scene.round.code}"' in page
    assert client.get("/disclosure/comments?round=KHONG-CO").status_code == 404


def test_the_board_answers_a_comment(
    client: FlaskClient, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene.publish(monkeypatch)
    today(monkeypatch, DURING)
    about, _general = _comments(scene)
    _login(client, scene.board)
    url = f"/disclosure/comments/{about.id}/answer"

    empty = client.post(url, data={f"c{about.id}-answer": "  "})
    assert empty.status_code == 400
    assert "Vui lòng nhập mục này." in empty.get_data(as_text=True)
    _db.session.refresh(about)
    assert about.answer == ""

    response = client.post(url, data={f"c{about.id}-answer": "Đã xác minh, thành tích đúng."})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/disclosure/comments?round={scene.round.code}#comment-{about.id}"
    )
    _db.session.refresh(about)
    assert (about.answer, about.answered_by_id) == ("Đã xác minh, thành tích đúng.", scene.board.id)
    assert about.answered_at is not None
    page = client.get(f"/disclosure/comments?round={scene.round.code}").get_data(as_text=True)
    assert "2 ý kiến, 1 ý kiến chưa trả lời." in page
    assert "Đã xác minh, thành tích đúng." in page


def test_the_approver_reads_but_does_not_answer(
    client: FlaskClient, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene.publish(monkeypatch)
    today(monkeypatch, DURING)
    about, _general = _comments(scene)
    _login(client, make_user(Role.APPROVER))

    page = client.get(f"/disclosure/comments?round={scene.round.code}").get_data(as_text=True)
    assert "Trần Thị Mai" in page and "/answer" not in page
    response = client.post(
        f"/disclosure/comments/{about.id}/answer", data={f"c{about.id}-answer": "Đồng ý"}
    )
    assert response.status_code == 403
    _db.session.refresh(about)
    assert about.answer == ""


# --------------------------------------------------------------------------- approval waits


def test_nothing_is_approved_while_the_window_is_open(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene.publish(monkeypatch)
    scene.round.phase = RoundPhase.APPROVING  # as if moved on: the rule holds on its own
    approver = make_user(Role.APPROVER)

    with pytest.raises(WorkflowError, match="công khai lấy ý kiến đến hết ngày 09/09/2025"):
        workflow.transition(scene.collective, "approve", approver, on=ENDS)
    assert scene.collective.state is S.PROPOSED

    workflow.transition(scene.collective, "approve", approver, on=AFTER)
    assert scene.collective.state is S.APPROVED


def test_the_round_leaves_disclosure_only_after_the_window(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene.publish(monkeypatch)
    for day in (DURING, ENDS):
        today(monkeypatch, day)
        with pytest.raises(SetupError, match="09/09/2025"):
            campaign_setup.set_round_phase(scene.round, RoundPhase.APPROVING)
        assert scene.round.phase is RoundPhase.DISCLOSURE

    today(monkeypatch, AFTER)
    campaign_setup.set_round_phase(scene.round, RoundPhase.APPROVING)
    assert scene.round.phase is RoundPhase.APPROVING
    assert disclosure.is_published(scene.round)  # the list stays public until the decision


def test_a_round_with_disclosure_days_cannot_skip_disclosure(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    today(monkeypatch, DURING)
    with pytest.raises(SetupError, match="5 ngày làm việc công khai"):
        campaign_setup.set_round_phase(scene.round, RoundPhase.APPROVING)
    assert scene.round.phase is RoundPhase.COUNCIL

    scene.round.disclosure_days = None  # without disclosure, the council's list goes to approval
    campaign_setup.set_round_phase(scene.round, RoundPhase.APPROVING)
    assert scene.round.phase is RoundPhase.APPROVING


def test_the_inbox_is_in_the_navigation_of_the_board_and_the_approver(
    client: FlaskClient, scene: Scene
) -> None:
    link = 'href="/disclosure/comments">Công khai, lấy ý kiến</a>'
    _login(client, scene.board)
    assert link in client.get("/").get_data(as_text=True)
    client.post("/logout")
    _login(client, scene.head)
    assert link not in client.get("/").get_data(as_text=True)
