"""Errors that are not the user's fault get a page in their language, never a bare 500."""

from __future__ import annotations

from sqlalchemy.orm.exc import StaleDataError

from awards import workflow
from models import Nomination, Role
from tests import factories


def test_a_concurrent_change_is_a_409_with_advice_not_a_500(client, db, login_as, monkeypatch):
    filing = factories.make_filing()
    unit = factories.make_unit()
    head = factories.make_user(Role.UNIT_HEAD, unit=unit)
    nomination = factories.make_nomination(filing, unit, head)
    db.session.commit()
    board = login_as(Role.BOARD)
    assert board.unit_id is None or board.unit_id != unit.id

    def lost_the_race(*args: object, **kwargs: object) -> None:
        raise StaleDataError("UPDATE statement on table 'nominations' expected to update 1 row(s)")

    monkeypatch.setattr(workflow, "transition", lost_the_race)
    response = client.post(f"/nominations/{nomination.id}/action/withdraw", data={"reason": ""})

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Hồ sơ vừa được người khác thay đổi nên thao tác của bạn chưa được lưu." in page
    assert db.session.get(Nomination, nomination.id).state.value == "draft"


def test_an_absurd_page_number_is_the_last_possible_page_not_a_500(client, db, login_as):
    login_as(Role.ADMIN)
    for url in ("/nominations/", "/admin/units/", "/admin/audit/", "/admin/users/"):
        response = client.get(f"{url}?page=99999999999999999999999")
        assert response.status_code == 200, url  # an empty page past the end
