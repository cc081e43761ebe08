"""Administration of accounts: create, edit roles and unit, deactivate, unlock, search; the CLI."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from awards import accounts
from models import AuditEvent, Role, User, utcnow
from tests.conftest import PASSWORD, login

UNIT_REQUIRED = "Cán bộ thi đua và thủ trưởng đơn vị phải thuộc một đơn vị."


@pytest.fixture()
def admin(client, db, make_user) -> User:
    user = make_user(Role.ADMIN, username="quantri", full_name="Quản Trị Viên")
    assert login(client, "quantri").status_code == 302
    return user


def _user(db, username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _errors(response) -> list[str]:
    html = response.get_data(as_text=True)
    return re.findall(r'<div class="alert alert-danger">(.*?)</div>', html)


def _listed(response) -> list[str]:
    return re.findall(r'href="/admin/users/\d+">([^<]+)</a>', response.get_data(as_text=True))


def _new_user(**changes) -> dict:
    return {
        "username": "can.bo",
        "full_name": "Nguyễn Thị Cán Bộ",
        "email": "canbo@bacninh.gov.vn",
        "roles": ["unit_clerk"],
        "unit_id": "0",
        "password": "Mot-mat-khau-dai",
        "locale": "vi",
    } | changes


def test_admin_creates_an_account(client, db, admin, make_unit):
    unit = make_unit("Sở Y tế")
    response = client.post(
        "/admin/users/new", data=_new_user(roles=["unit_clerk", "unit_head"], unit_id=unit.id)
    )
    assert (response.status_code, response.headers["Location"]) == (302, "/admin/users/")
    user = _user(db, "can.bo")
    assert (user.full_name, user.email, user.unit_id, user.roles) == (
        "Nguyễn Thị Cán Bộ",
        "canbo@bacninh.gov.vn",
        unit.id,
        {Role.UNIT_CLERK, Role.UNIT_HEAD},
    )
    assert user.must_change_password is True and user.active is True
    roles_set = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "roles_set")
    ).one()
    assert json.loads(roles_set.after) == {"roles": ["unit_clerk", "unit_head"]}
    assert roles_set.actor_id == admin.id
    page = client.get("/admin/users/").get_data(as_text=True)
    assert "Đã tạo tài khoản can.bo." in page

    # The new user is sent to change the initial password first.
    other = client.application.test_client()
    assert login(other, "can.bo", "Mot-mat-khau-dai").headers["Location"] == "/account/password"


@pytest.mark.parametrize("role", ["unit_clerk", "unit_head"])
def test_unit_roles_need_a_unit(client, db, admin, role):
    response = client.post("/admin/users/new", data=_new_user(roles=[role]))
    assert response.status_code == 200
    assert _errors(response) == [UNIT_REQUIRED]
    assert _user(db, "can.bo") is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"username": "quantri"}, "Tên đăng nhập “quantri” đã được dùng."),
        ({"password": "ngan"}, "Mật khẩu phải có ít nhất 10 ký tự."),
        ({"unit_id": "999"}, None),  # not among the choices: the form refuses it
    ],
)
def test_create_refuses_bad_input(client, db, admin, changes, message):
    response = client.post("/admin/users/new", data=_new_user(roles=["board"], **changes))
    assert response.status_code == 200
    if message:
        assert _errors(response) == [message]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_editing_roles_ends_the_users_sessions(app, client, db, admin, make_user, make_unit):
    user = make_user(Role.REVIEWER, username="hoidong", full_name="Lê Văn Hội Đồng")
    theirs = app.test_client()
    login(theirs, "hoidong")
    assert theirs.get("/").status_code == 200

    form = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert re.findall(r'<input checked[^>]*value="([a-z_]+)"', form) == ["reviewer"]
    response = client.post(
        f"/admin/users/{user.id}",
        data={
            "full_name": "Lê Văn Hội Đồng",
            "email": "",
            "roles": ["reviewer", "board"],
            "unit_id": "0",
            "locale": "en",
        },
    )
    assert (response.status_code, response.headers["Location"]) == (302, "/admin/users/")
    db.session.refresh(user)
    assert (user.roles, user.locale) == ({Role.REVIEWER, Role.BOARD}, "en")
    assert theirs.get("/").status_code == 302
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "roles_set").order_by(AuditEvent.id)
    ).all()[-1]
    assert (json.loads(event.before), json.loads(event.after)) == (
        {"roles": ["reviewer"]},
        {"roles": ["board", "reviewer"]},
    )


def test_editing_only_the_name_keeps_the_sessions(app, client, db, admin, make_user):
    user = make_user(Role.REVIEWER, username="hoidong")
    theirs = app.test_client()
    login(theirs, "hoidong")
    client.post(
        f"/admin/users/{user.id}",
        data={"full_name": "Tên Mới", "roles": ["reviewer"], "unit_id": "0", "locale": "vi"},
    )
    db.session.refresh(user)
    assert user.full_name == "Tên Mới"
    assert theirs.get("/").status_code == 200


def test_edit_refuses_a_unit_role_without_a_unit(client, db, admin, make_user):
    user = make_user(Role.REVIEWER, username="hoidong")
    response = client.post(
        f"/admin/users/{user.id}",
        data={"full_name": "Hội Đồng", "roles": ["unit_head"], "unit_id": "0", "locale": "vi"},
    )
    assert _errors(response) == [UNIT_REQUIRED]
    db.session.refresh(user)
    assert user.roles == {Role.REVIEWER}


def test_an_unknown_account_is_not_found(client, admin):
    assert client.get("/admin/users/9999").status_code == 404
    assert client.post("/admin/users/9999/active").status_code == 404


def test_deactivating_keeps_the_account_and_ends_its_sessions(app, client, db, admin, make_user):
    user = make_user(Role.BOARD, username="thiduaso")
    theirs = app.test_client()
    login(theirs, "thiduaso")

    response = client.post(f"/admin/users/{user.id}/active")
    assert response.headers["Location"] == f"/admin/users/{user.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã khóa tài khoản thiduaso." in page
    assert "Mở lại tài khoản" in page
    db.session.refresh(user)
    assert user.active is False  # kept, not deleted: the trail refers to it
    assert theirs.get("/").status_code == 302
    assert login(theirs, "thiduaso").status_code == 200

    client.post(f"/admin/users/{user.id}/active")
    db.session.refresh(user)
    assert user.active is True
    assert login(theirs, "thiduaso").status_code == 302


def test_an_admin_cannot_deactivate_themself(client, db, admin):
    response = client.post(f"/admin/users/{admin.id}/active")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bạn không thể tự khóa tài khoản của mình." in page
    db.session.refresh(admin)
    assert admin.active is True
    assert client.get("/admin/users/").status_code == 200


def test_unlock_clears_the_lockout(app, client, db, admin, make_user):
    user = make_user(Role.BOARD, username="thiduaso")
    user.failed_logins, user.locked_until = 3, utcnow() + timedelta(minutes=10)
    db.session.commit()
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "Mở khóa đăng nhập" in page
    assert "Tạm khóa đăng nhập" in client.get("/admin/users/").get_data(as_text=True)

    response = client.post(f"/admin/users/{user.id}/unlock")
    assert response.headers["Location"] == f"/admin/users/{user.id}"
    db.session.refresh(user)
    assert (user.failed_logins, user.locked_until) == (0, None)
    assert login(app.test_client(), "thiduaso", PASSWORD).status_code == 302


def test_search_ignores_accents_and_case(client, db, admin, make_user):
    make_user(Role.REVIEWER, username="nva", full_name="Nguyễn Văn A")
    make_user(Role.BOARD, username="dtb", full_name="Đỗ Thị Bình")
    make_user(Role.BOARD, username="ltc", full_name="Lê Thị Cúc", active=False)

    def search(**query) -> list[str]:
        return _listed(client.get("/admin/users/", query_string=query))

    assert search(q="nguyen") == ["nva"]
    assert search(q="NGUYỄN văn") == ["nva"]
    assert search(q="do thi") == ["dtb"]
    assert search(q="thi") == ["dtb", "ltc"]
    assert search(q="dtb") == ["dtb"]  # the username too
    assert search(q="%") == []  # wildcards are literal
    assert search(role="board") == ["dtb", "ltc"]
    assert search(q="thi", role="board") == ["dtb", "ltc"]
    assert search() == ["dtb", "ltc", "nva", "quantri"]
    assert search(role="khong-co") == ["dtb", "ltc", "nva", "quantri"]


def test_cli_creates_an_account(runner, db, make_unit):
    unit = make_unit("Sở Nội vụ", code="SNV")
    result = runner.invoke(
        args=[
            "create-user",
            "--username",
            "Can.Bo",
            "--full-name",
            "Nguyễn Văn Cán Bộ",
            "--role",
            "unit_clerk",
            "--role",
            "unit_head",
            "--unit",
            "SNV",
            "--password",
            "Mat-khau-rat-dai-1",
        ]
    )
    assert result.exit_code == 0, result.output
    assert result.output == "Đã tạo tài khoản can.bo.\n"
    user = _user(db, "can.bo")
    assert (user.unit_id, user.roles, user.must_change_password) == (
        unit.id,
        {Role.UNIT_CLERK, Role.UNIT_HEAD},
        False,
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--username", "quantri"], "Tên đăng nhập “quantri” đã được dùng."),
        (["--username", "moi", "--unit", "KHONG"], "Không tìm thấy đơn vị có mã KHONG."),
        (["--username", "moi", "--role", "unit_clerk"], UNIT_REQUIRED),
    ],
)
def test_cli_reports_what_it_cannot_do(runner, db, make_user, extra, message):
    make_user(Role.ADMIN, username="quantri")
    result = runner.invoke(
        args=[
            *("create-user", "--full-name", "Ai Đó", "--role", "board"),
            *("--password", "Mat-khau-rat-dai-1", *extra),
        ]
    )
    assert result.exit_code == 1
    assert result.output.strip() == message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_services_refuse_an_unknown_unit_and_filter_by_state(db, make_user):
    with pytest.raises(accounts.AccountError, match=r"Đơn vị không tồn tại\."):
        accounts.create_user(
            username="moi", full_name="Mới", password="Mat-khau-rat-dai-1", roles=set(), unit_id=999
        )
    make_user(Role.BOARD, username="dang.lam")
    make_user(Role.BOARD, username="da.nghi", active=False)
    usernames = {
        state: db.session.scalars(accounts.search_users(active=state)).all()
        for state in (True, False)
    }
    assert {state: [u.username for u in users] for state, users in usernames.items()} == {
        True: ["dang.lam"],
        False: ["da.nghi"],
    }
