"""Reviewer assignment (``awards/assignment.py`` and its views): conflicts of interest in the query and
in the predicate, assignment by hand, in bulk and automatically (balance, cap, conflicts), recusal,
unassignment, progress counts and reminders."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from awards import assignment, notifications
from awards.assignment import AssignmentError, AssignmentNotPermitted
from awards.extensions import db as _db
from models import (
    Nomination,
    NominationState,
    Notification,
    RecipientKind,
    Review,
    ReviewState,
    Role,
    Round,
    Score,
    Unit,
    UnitKind,
    User,
)
from tests import factories as f
from tests import test_quota_concurrency as concurrency
from tests.conftest import login


def _unit(name: str, parent: Unit | None = None, kind: UnitKind = UnitKind.DISTRICT) -> Unit:
    unit = f.make_unit(name, kind=kind)
    unit.parent = parent
    _db.session.flush()
    return unit


def _in_review(
    filing: f.Filing, unit: Unit, count: int, kind: RecipientKind = RecipientKind.COLLECTIVE
) -> list[Nomination]:
    head = f.make_user(Role.UNIT_HEAD, unit=unit)
    made = [f.make_nomination(filing, unit, head, kind=kind) for _ in range(count)]
    f.make_submission(filing, unit, head, made)
    for nomination in made:
        f.bring_to(nomination, NominationState.IN_REVIEW, head=head, board=filing.board)
    return made


def _reviewer(unit: Unit | None = None, name: str | None = None, active: bool = True) -> User:
    user = f.make_user(Role.REVIEWER, unit=unit)
    if name is not None:
        user.full_name = name
    user.active = active
    _db.session.flush()
    return user


def _reviews(nomination: Nomination) -> list[Review]:
    return list(
        _db.session.scalars(
            sa.select(Review).where(Review.nomination_id == nomination.id).order_by(Review.id)
        )
    )


def _loads(round_: Round) -> Counter[int]:
    rows = _db.session.execute(
        sa.select(Review.reviewer_id)
        .join(Nomination)
        .where(Nomination.round_id == round_.id, Review.state != ReviewState.RECUSED)
    )
    return Counter(reviewer_id for (reviewer_id,) in rows)


def _submit(review: Review) -> None:
    review.state = ReviewState.SUBMITTED
    review.total = Decimal(50)
    review.submitted_at = datetime(2025, 10, 1, 9, 0)
    _db.session.flush()


# --------------------------------------------------------------------------- conflicts of interest


@dataclass
class Tree:
    filing: f.Filing
    nomination: Nomination  # a collective of ``district``
    person: Nomination  # an individual "Trần Thị Mai" of ``district`` working at ``workplace``
    reviewers: dict[str, User]


@pytest.fixture()
def tree(db: object) -> Tree:
    """province ⊃ district ⊃ commune; ``other`` and ``workplace`` elsewhere. Reviewers in each."""
    filing = f.make_filing(evidence_required=False)
    province = _unit("Tỉnh", kind=UnitKind.PROVINCE)
    district = _unit("Huyện Yên Phong", province)
    commune = _unit("Xã Tam Đa", district, UnitKind.COMMUNE)
    other = _unit("Huyện Tiên Du", province)
    workplace = _unit("Sở Y tế", province, UnitKind.PROVINCIAL_BODY)
    elsewhere = _unit("Sở Tư pháp", province, UnitKind.PROVINCIAL_BODY)
    nomination = _in_review(filing, district, 1)[0]
    person = f.make_nomination(
        filing, district, nomination.created_by, kind=RecipientKind.INDIVIDUAL, name="Trần Thị Mai"
    )
    person.nominee_unit_id = workplace.id
    f.make_submission(filing, district, nomination.created_by, [person])
    f.bring_to(person, NominationState.IN_REVIEW, head=nomination.created_by, board=filing.board)
    reviewers = {
        "same": _reviewer(district),
        "ancestor": _reviewer(province),
        "descendant": _reviewer(commune),
        "other": _reviewer(other),
        "none": _reviewer(None),
        "creator": _reviewer(elsewhere),
        "in_person": _reviewer(workplace, "TRAN THI MAI"),  # folded: the same name
        "namesake": _reviewer(elsewhere, "Trần Thị Mai"),  # same name, another unit
    }
    nomination.created_by_id = reviewers["creator"].id
    _db.session.commit()
    return Tree(filing, nomination, person, reviewers)


def _eligible(nomination: Nomination) -> set[str]:
    return {
        user.username
        for user in _db.session.scalars(assignment.eligible_reviewers_stmt(nomination))
    }


def test_conflicted_reviewers_are_excluded_from_the_eligible_list(tree: Tree) -> None:
    names = {user.username: key for key, user in tree.reviewers.items()}
    eligible = {names[u] for u in _eligible(tree.nomination)}
    assert eligible == {"other", "none", "in_person", "namesake"}
    eligible_person = {names[u] for u in _eligible(tree.person)}
    assert eligible_person == {"other", "none", "creator", "namesake"}


def test_the_predicate_repeats_the_query(tree: Tree) -> None:
    pairs = assignment.conflict_pairs(Nomination.id.in_([tree.nomination.id, tree.person.id]))
    for nomination in (tree.nomination, tree.person):
        for reviewer in tree.reviewers.values():
            in_query = (nomination.id, reviewer.id) in pairs
            assert assignment.is_conflicted(reviewer, nomination) == in_query, (
                nomination.nominee_name,
                reviewer.full_name,
            )
    assert {(n, r) for n, r in pairs if n == tree.nomination.id} == {
        (tree.nomination.id, tree.reviewers[key].id)
        for key in ("same", "ancestor", "descendant", "creator")
    }


@pytest.mark.parametrize("key", ["same", "ancestor", "descendant", "creator"])
def test_assign_refuses_a_conflicted_reviewer(tree: Tree, key: str) -> None:
    with pytest.raises(AssignmentError, match="xung đột lợi ích"):
        assignment.assign(tree.nomination, tree.reviewers[key], tree.filing.board)
    assert _reviews(tree.nomination) == []


def test_assign_refuses_the_nominee_in_person(tree: Tree) -> None:
    with pytest.raises(AssignmentError, match="xung đột lợi ích"):
        assignment.assign(tree.person, tree.reviewers["in_person"], tree.filing.board)
    review = assignment.assign(tree.person, tree.reviewers["namesake"], tree.filing.board)
    assert (review.state, review.assigned_by_id) == (ReviewState.ASSIGNED, tree.filing.board.id)


def test_assign_by_hand_and_its_refusals(tree: Tree) -> None:
    board, nomination = tree.filing.board, tree.nomination
    review = assignment.assign(nomination, tree.reviewers["other"], board)
    assert [r.id for r in _reviews(nomination)] == [review.id]
    with pytest.raises(AssignmentError, match="đã được phân công"):
        assignment.assign(nomination, tree.reviewers["other"], board)
    with pytest.raises(AssignmentError, match="bị khóa"):
        assignment.assign(nomination, _reviewer(None, active=False), board)
    with pytest.raises(AssignmentError, match="không phải thành viên"):
        assignment.assign(nomination, f.make_user(Role.BOARD), board)
    with pytest.raises(AssignmentNotPermitted):
        assignment.assign(nomination, tree.reviewers["none"], tree.reviewers["other"])
    draft = f.make_nomination(tree.filing, f.make_unit(), nomination.created_by)
    with pytest.raises(AssignmentError, match="không ở trạng thái đang chấm điểm"):
        assignment.assign(draft, tree.reviewers["none"], board)
    assert len(_reviews(nomination)) == 1


def test_bulk_assignment_skips_conflicts_and_duplicates(tree: Tree) -> None:
    board = tree.filing.board
    assignment.assign(tree.nomination, tree.reviewers["other"], board)
    picked = [tree.reviewers[k] for k in ("other", "none", "same")]
    result = assignment.assign_bulk([tree.nomination, tree.person], picked, board)
    assert sorted((r.nomination_id, r.reviewer_id) for r in result.assigned) == sorted(
        [
            (tree.nomination.id, tree.reviewers["none"].id),
            (tree.person.id, tree.reviewers["other"].id),
            (tree.person.id, tree.reviewers["none"].id),
        ]
    )
    assert sorted((n.id, r.username, why) for n, r, why in result.skipped) == sorted(
        [
            (tree.nomination.id, tree.reviewers["other"].username, "đã được phân công"),
            (tree.nomination.id, tree.reviewers["same"].username, "xung đột lợi ích"),
            (tree.person.id, tree.reviewers["same"].username, "xung đột lợi ích"),
        ]
    )
    with pytest.raises(AssignmentError, match="bị khóa"):
        assignment.assign_bulk([tree.nomination], [_reviewer(None, active=False)], board)
    assert assignment.assign_bulk([], picked, board).assigned == []


# --------------------------------------------------------------------------- automatic assignment


@pytest.fixture()
def big_round(db: object) -> tuple[f.Filing, list[Nomination], list[User]]:
    """20 nominations in review from four units, seven reviewers without a unit."""
    filing = f.make_filing(evidence_required=False)
    nominations = []
    for _ in range(4):
        nominations += _in_review(filing, f.make_unit(), 5)
    reviewers = [_reviewer(None) for _ in range(7)]
    _db.session.commit()
    return filing, nominations, reviewers


def test_automatic_assignment_balances_the_load(big_round) -> None:  # type: ignore[no-untyped-def]
    filing, nominations, _reviewers = big_round
    result = assignment.assign_automatically(
        filing.round, per_nomination=3, cap=20, by=filing.board
    )
    assert (result.assigned, result.unfilled) == (60, [])
    for nomination in nominations:
        assert len({r.reviewer_id for r in _reviews(nomination)}) == 3
    loads = _loads(filing.round)
    assert sorted(loads.values()) == [8, 8, 8, 9, 9, 9, 9]
    assert max(loads.values()) - min(loads.values()) == 1
    again = assignment.assign_automatically(filing.round, per_nomination=3, cap=20, by=filing.board)
    assert (again.assigned, again.unfilled) == (0, [])


def test_automatic_assignment_keeps_to_the_cap(big_round) -> None:  # type: ignore[no-untyped-def]
    filing, _nominations, _reviewers = big_round
    result = assignment.assign_automatically(filing.round, per_nomination=3, cap=8, by=filing.board)
    assert result.assigned == 56
    assert sum(missing for _, missing in result.unfilled) == 4
    assert set(_loads(filing.round).values()) == {8}


def test_automatic_assignment_is_deterministic_and_counts_hand_assignments(big_round) -> None:  # type: ignore[no-untyped-def]
    filing, nominations, reviewers = big_round
    assignment.assign(nominations[0], reviewers[0], filing.board)
    result = assignment.assign_automatically(filing.round, per_nomination=1, cap=5, by=filing.board)
    assert result.assigned == 19
    loads = _loads(filing.round)
    assert sorted(loads.values()) == [2, 3, 3, 3, 3, 3, 3]
    assert max(loads.values()) - min(loads.values()) == 1
    # Least loaded first, ties to the lower id: nomination i goes to reviewer i mod 7.
    assert [_reviews(n)[0].reviewer_id for n in nominations] == [
        reviewers[i % 7].id for i in range(20)
    ]


def test_automatic_assignment_respects_conflicts(db: object) -> None:
    filing = f.make_filing(evidence_required=False)
    province = _unit("Tỉnh", kind=UnitKind.PROVINCE)
    a, b = _unit("Huyện A", province), _unit("Huyện B", province)
    nominations = _in_review(filing, a, 6) + _in_review(filing, b, 6)
    reviewers = [_reviewer(a), _reviewer(a), _reviewer(b), _reviewer(b), _reviewer(None)]
    reviewers += [_reviewer(None), _reviewer(_unit("Xã thuộc A", a, UnitKind.COMMUNE))]
    _db.session.commit()
    result = assignment.assign_automatically(
        filing.round, per_nomination=2, cap=10, by=filing.board
    )
    assert (result.assigned, result.unfilled) == (24, [])
    for nomination in nominations:
        for review in _reviews(nomination):
            assert not assignment.is_conflicted(review.reviewer, nomination)
    loads = _loads(filing.round)
    assert sum(loads.values()) == 24
    assert max(loads.values()) - min(loads.values()) <= 1


def test_automatic_assignment_reports_what_it_cannot_fill(db: object) -> None:
    filing = f.make_filing(evidence_required=False)
    unit = f.make_unit()
    nominations = _in_review(filing, unit, 2)
    _reviewer(unit)
    lone = _reviewer(None)
    _db.session.commit()
    result = assignment.assign_automatically(
        filing.round, per_nomination=2, cap=None, by=filing.board
    )
    assert result.assigned == 2
    assert [(n.id, missing) for n, missing in result.unfilled] == [
        (nominations[0].id, 1),
        (nominations[1].id, 1),
    ]
    assert {r.reviewer_id for n in nominations for r in _reviews(n)} == {lone.id}
    with pytest.raises(AssignmentError):
        assignment.assign_automatically(filing.round, per_nomination=0, cap=3, by=filing.board)


# --------------------------------------------------------------------------- recusal and unassignment


def test_recusal_frees_the_slot_for_someone_else(big_round) -> None:  # type: ignore[no-untyped-def]
    filing, nominations, reviewers = big_round
    assignment.assign_automatically(filing.round, per_nomination=1, cap=None, by=filing.board)
    review = _reviews(nominations[0])[0]
    first = review.reviewer
    _db.session.add(Score(review=review, criterion=filing.criteria["1.1"], points=Decimal(3)))
    review.state = ReviewState.DRAFT
    _db.session.flush()
    with pytest.raises(AssignmentError, match="lý do"):
        assignment.recuse(review, first, "  ")
    with pytest.raises(AssignmentNotPermitted):
        assignment.recuse(review, reviewers[-1] if first != reviewers[-1] else reviewers[0], "x")
    assignment.recuse(review, first, "Tôi từng công tác tại đơn vị này")
    assert (review.state, review.recusal_reason, review.scores) == (
        ReviewState.RECUSED,
        "Tôi từng công tác tại đơn vị này",
        [],
    )
    with pytest.raises(AssignmentError, match="đã tự khai"):
        assignment.assign(nominations[0], first, filing.board)
    result = assignment.assign_automatically(
        filing.round, per_nomination=1, cap=None, by=filing.board
    )
    assert result.assigned == 1
    states = {r.reviewer_id: r.state for r in _reviews(nominations[0])}
    assert states[first.id] is ReviewState.RECUSED
    assert [s for s in states.values() if s is ReviewState.ASSIGNED] == [ReviewState.ASSIGNED]
    assert len(states) == 2
    with pytest.raises(AssignmentError, match="chưa nộp"):
        assignment.recuse(review, first, "lần nữa")


def test_unassign_only_while_nothing_is_scored(big_round) -> None:  # type: ignore[no-untyped-def]
    filing, nominations, reviewers = big_round
    kept = assignment.assign(nominations[0], reviewers[0], filing.board)
    gone = assignment.assign(nominations[0], reviewers[1], filing.board)
    assignment.unassign(gone, filing.board)
    assert [r.id for r in _reviews(nominations[0])] == [kept.id]
    kept.state = ReviewState.DRAFT
    with pytest.raises(AssignmentError, match="Chỉ hủy phân công"):
        assignment.unassign(kept, filing.board)
    with pytest.raises(AssignmentNotPermitted):
        assignment.unassign(kept, reviewers[2])


# --------------------------------------------------------------------------- progress and reminders


def _progress_fixture(big_round):  # type: ignore[no-untyped-def]
    filing, nominations, reviewers = big_round
    board = filing.board
    a, b, c = reviewers[:3]
    for nomination in nominations[:3]:
        assignment.assign(nomination, a, board)
    for nomination in nominations[:2]:
        assignment.assign(nomination, b, board)
    assignment.assign(nominations[0], c, board)
    reviews = {(r.nomination_id, r.reviewer_id): r for n in nominations[:3] for r in _reviews(n)}
    _submit(reviews[(nominations[0].id, a.id)])
    _submit(reviews[(nominations[1].id, a.id)])
    _submit(reviews[(nominations[0].id, b.id)])
    _submit(reviews[(nominations[1].id, b.id)])
    reviews[(nominations[2].id, a.id)].state = ReviewState.DRAFT
    assignment.recuse(reviews[(nominations[0].id, c.id)], c, "Người nhà công tác tại đơn vị")
    _db.session.commit()
    return filing, nominations, reviewers


def test_progress_per_reviewer_and_per_nomination(big_round) -> None:  # type: ignore[no-untyped-def]
    filing, nominations, reviewers = _progress_fixture(big_round)
    rows = {
        p.reviewer_id: (p.assigned, p.submitted, p.drafts, p.recused, p.pending)
        for p in assignment.reviewer_progress(filing.round)
    }
    assert rows == {
        reviewers[0].id: (3, 2, 1, 0, 1),
        reviewers[1].id: (2, 2, 0, 0, 0),
        reviewers[2].id: (0, 0, 0, 1, 0),
        **{r.id: (0, 0, 0, 0, 0) for r in reviewers[3:]},
    }
    by_nomination = {
        p.nomination.id: (p.submitted, p.active, [line.state for line in p.reviews])
        for p in assignment.nomination_progress(filing.round)
    }
    assert len(by_nomination) == 20
    assert by_nomination[nominations[0].id][:2] == (2, 2)
    assert sorted(by_nomination[nominations[0].id][2]) == sorted(
        [ReviewState.SUBMITTED, ReviewState.SUBMITTED, ReviewState.RECUSED]
    )
    assert by_nomination[nominations[1].id][:2] == (2, 2)
    assert by_nomination[nominations[2].id] == (0, 1, [ReviewState.DRAFT])
    assert by_nomination[nominations[3].id] == (0, 0, [])


def test_reminders_one_per_lagging_reviewer(big_round) -> None:  # type: ignore[no-untyped-def]
    filing, nominations, reviewers = _progress_fixture(big_round)
    late = assignment.assign(nominations[5], reviewers[3], filing.board)
    assert late.state is ReviewState.ASSIGNED
    sent = assignment.send_reminders(filing.round, filing.board, "/reviews/")
    assert sent == 2
    rows = _db.session.execute(
        sa.select(Notification.user_id, Notification.message, Notification.link).order_by(
            Notification.user_id
        )
    ).all()
    name = filing.round.name
    assert [tuple(row) for row in rows] == [
        (reviewers[0].id, f"Đồng chí còn 1 hồ sơ chưa chấm trong đợt {name}", "/reviews/"),
        (reviewers[3].id, f"Đồng chí còn 1 hồ sơ chưa chấm trong đợt {name}", "/reviews/"),
    ]
    assert [n.message for n in notifications.unread(reviewers[0])] == [rows[0][1]]
    assert notifications.unread_count(reviewers[1]) == 0
    with pytest.raises(AssignmentNotPermitted):
        assignment.send_reminders(filing.round, reviewers[0])


def test_notifications_read_and_unread(db: object) -> None:
    user = f.make_user(Role.REVIEWER)
    first = notifications.notify(user, "Một", "/a")
    second = notifications.notify(user, "Hai")
    assert [n.id for n in notifications.unread(user)] in (
        [second.id, first.id],
        [first.id, second.id],
    )
    notifications.mark_read(first)
    read_at = first.read_at
    notifications.mark_read(first)
    assert (first.read_at, notifications.unread_count(user)) == (read_at, 1)
    assert [n.id for n in notifications.unread(user)] == [second.id]


# --------------------------------------------------------------------------- pages


def _login_board(client: FlaskClient, filing: f.Filing) -> None:
    response = login(client, filing.board.username)
    assert response.status_code == 302


def test_page_shows_reviewers_counts_and_progress(client: FlaskClient, big_round) -> None:  # type: ignore[no-untyped-def]
    filing, _nominations, reviewers = _progress_fixture(big_round)
    _login_board(client, filing)
    page = client.get("/assignments/", query_string={"round": filing.round.code})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'<tr data-reviewer="{reviewers[0].id}">' in html
    assert "2/3" in html  # reviewer 1: 2 of 3 submitted
    assert "Đã khai xung đột lợi ích" in html
    assert html.count('name="nomination_ids"') == 20
    assert "Gửi nhắc nhở (1 người chấm)" in html
    choose = client.get("/assignments/")
    assert (choose.status_code, filing.round.code in choose.get_data(as_text=True)) == (200, True)


def test_bulk_and_automatic_assignment_through_the_page(client: FlaskClient, big_round) -> None:  # type: ignore[no-untyped-def]
    filing, nominations, reviewers = big_round
    _login_board(client, filing)
    response = client.post(
        f"/assignments/rounds/{filing.round.id}/bulk",
        data={
            "nomination_ids": [str(nominations[0].id), str(nominations[1].id)],
            "reviewer_ids": [str(reviewers[0].id)],
        },
        follow_redirects=True,
    )
    assert "Đã phân công 2 lượt chấm." in response.get_data(as_text=True)
    response = client.post(
        f"/assignments/rounds/{filing.round.id}/bulk",
        data={"nomination_ids": [str(nominations[0].id)], "reviewer_ids": [str(reviewers[0].id)]},
        follow_redirects=True,
    )
    assert "Bỏ qua" in response.get_data(as_text=True)
    response = client.post(
        f"/assignments/rounds/{filing.round.id}/bulk", data={}, follow_redirects=True
    )
    assert "Hãy chọn ít nhất một hồ sơ." in response.get_data(as_text=True)
    response = client.post(
        f"/assignments/rounds/{filing.round.id}/auto",
        data={"per_nomination": "2", "cap": "6"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Đã phân công tự động 38 lượt chấm." in html
    assert max(_loads(filing.round).values()) == 6
    response = client.post(
        f"/assignments/rounds/{filing.round.id}/auto",
        data={"per_nomination": "3", "cap": "6"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Đã phân công tự động 2 lượt chấm." in html
    assert "18 hồ sơ chưa đủ người chấm" in html
    response = client.post(
        f"/assignments/rounds/{filing.round.id}/auto",
        data={"per_nomination": "0", "cap": "6"},
        follow_redirects=True,
    )
    assert "Từ 1 đến 50." in response.get_data(as_text=True)


def test_single_assignment_unassignment_and_reminders_through_the_page(
    client: FlaskClient, db: object
) -> None:
    filing = f.make_filing(evidence_required=False)
    unit = f.make_unit()
    nomination = _in_review(filing, unit, 1)[0]
    same, other = _reviewer(unit), _reviewer(None)
    _db.session.commit()
    _login_board(client, filing)
    url = f"/assignments/nominations/{nomination.id}/assign"
    response = client.post(url, data={"reviewer_id": str(same.id)}, follow_redirects=True)
    assert "xung đột lợi ích" in response.get_data(as_text=True)
    response = client.post(url, data={"reviewer_id": str(other.id)}, follow_redirects=True)
    assert f"Đã phân công {other.full_name} chấm hồ sơ" in response.get_data(as_text=True)
    response = client.post(f"/assignments/rounds/{filing.round.id}/remind", follow_redirects=True)
    assert "Đã gửi nhắc nhở tới 1 người chấm." in response.get_data(as_text=True)
    assert notifications.unread_count(other) == 1
    review = _reviews(nomination)[0]
    response = client.post(url, data={}, follow_redirects=True)
    assert "Hãy chọn người chấm." in response.get_data(as_text=True)
    review.state = ReviewState.DRAFT
    _db.session.commit()
    response = client.post(f"/assignments/reviews/{review.id}/unassign", follow_redirects=True)
    assert "Chỉ hủy phân công khi người chấm chưa chấm điểm" in response.get_data(as_text=True)
    review.state = ReviewState.ASSIGNED
    _db.session.commit()
    response = client.post(f"/assignments/reviews/{review.id}/unassign", follow_redirects=True)
    assert "Đã hủy phân công" in response.get_data(as_text=True)
    assert _reviews(nomination) == []
    response = client.post(f"/assignments/rounds/{filing.round.id}/remind", follow_redirects=True)
    assert "Không có người chấm nào" in response.get_data(as_text=True)


def test_recusal_page_for_the_reviewer_only(client: FlaskClient, db: object) -> None:
    filing = f.make_filing(evidence_required=False)
    nomination = _in_review(filing, f.make_unit(), 1)[0]
    mine, theirs = _reviewer(None), _reviewer(None)
    review = assignment.assign(nomination, mine, filing.board)
    _db.session.commit()
    login(client, theirs.username)
    assert client.get(f"/assignments/reviews/{review.id}/recuse").status_code == 404
    client.post("/logout")
    login(client, mine.username)
    url = f"/assignments/reviews/{review.id}/recuse"
    assert client.get(url).status_code == 200
    empty = client.post(url, data={"reason": ""})
    assert (empty.status_code, "Vui lòng nhập mục này." in empty.get_data(as_text=True)) == (
        200,
        True,
    )
    done = client.post(url, data={"reason": "Vợ tôi công tác tại đơn vị đề nghị"})
    assert done.status_code == 302
    _db.session.refresh(review)
    assert (review.state, review.recusal_reason) == (
        ReviewState.RECUSED,
        "Vợ tôi công tác tại đơn vị đề nghị",
    )
    again = client.post(url, data={"reason": "x"}, follow_redirects=True)
    assert "Chỉ khai xung đột lợi ích" in again.get_data(as_text=True)


def test_a_concurrent_assignment_is_reported_not_a_crash(
    client: FlaskClient, big_round, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    filing, _nominations, _reviewers = big_round

    def collide(*args: object, **kwargs: object) -> None:
        raise sa.exc.IntegrityError("INSERT INTO reviews", {}, Exception("uq_reviews"))

    monkeypatch.setattr(assignment, "assign_automatically", collide)
    _login_board(client, filing)
    response = client.post(
        f"/assignments/rounds/{filing.round.id}/auto",
        data={"per_nomination": "2", "cap": "6"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Phân công vừa được người khác thay đổi" in response.get_data(as_text=True)
    assert _loads(filing.round) == Counter()


concurrent_app = concurrency.concurrent_app  # the fixture: a SQLite file, and PostgreSQL when given


def test_parallel_automatic_assignments_fill_each_slot_once(concurrent_app) -> None:  # type: ignore[no-untyped-def]
    """Four officers press "assign automatically" at once: the runs queue on the writers' lock, the
    first fills every slot and the others find nothing left (SQLite file and PostgreSQL)."""
    with concurrent_app.app_context():
        filing = f.make_filing(evidence_required=False)
        nominations = _in_review(filing, f.make_unit(), 6)
        for _ in range(4):
            _reviewer(None)
        round_id, board_id = filing.round.id, filing.board.id
        ids = [n.id for n in nominations]
        _db.session.commit()

        def job() -> object:
            return assignment.assign_automatically(
                _db.session.get(Round, round_id),
                per_nomination=2,
                cap=None,
                by=_db.session.get(User, board_id),
            )

        outcomes = concurrency.run_together(concurrent_app, [job] * 4)
        assert outcomes == [concurrency.OK] * 4
        counts = Counter(
            nomination_id
            for (nomination_id,) in _db.session.execute(
                sa.select(Review.nomination_id).where(Review.nomination_id.in_(ids))
            )
        )
        assert counts == dict.fromkeys(ids, 2)
        _db.session.rollback()


def test_the_page_costs_the_same_number_of_statements_for_more_nominations(
    client: FlaskClient, big_round
) -> None:  # type: ignore[no-untyped-def]
    filing, _nominations, _reviewers = big_round
    _login_board(client, filing)

    def statements() -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
            seen.append(statement)

        sa.event.listen(_db.engine, "before_cursor_execute", count)
        try:
            page = client.get("/assignments/", query_string={"round": filing.round.code})
        finally:
            sa.event.remove(_db.engine, "before_cursor_execute", count)
        assert page.status_code == 200
        return len(seen)

    assignment.assign_automatically(filing.round, per_nomination=2, cap=None, by=filing.board)
    _db.session.commit()
    before = statements()
    _in_review(filing, f.make_unit(), 10)
    assignment.assign_automatically(filing.round, per_nomination=2, cap=None, by=filing.board)
    _db.session.commit()
    assert statements() == before
