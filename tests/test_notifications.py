"""In-app notifications: a badge in the navigation, the list, opening one marks it read."""

from __future__ import annotations

from awards import notifications
from models import Notification, Role


def test_a_reminder_shows_in_the_navigation_and_opens_where_it_points(client, db, login_as):
    reviewer = login_as(Role.REVIEWER)
    notifications.notify(reviewer, "Đồng chí còn 3 hồ sơ chưa chấm trong đợt CDS2025", "/reviews/")
    notifications.notify(
        reviewer, "Tin thử nghiệm <script>alert(1)</script>", "https://evil.example/"
    )
    db.session.commit()

    home = client.get("/").get_data(as_text=True)
    assert '<span class="badge text-bg-warning">2</span>' in home

    page = client.get("/notifications/").get_data(as_text=True)
    assert "Đồng chí còn 3 hồ sơ chưa chấm trong đợt CDS2025" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    first, second = db.session.query(Notification).order_by(Notification.id).all()
    opened = client.post(f"/notifications/{first.id}")
    assert (opened.status_code, opened.headers["Location"]) == (302, "/reviews/")
    foreign = client.post(f"/notifications/{second.id}")
    assert foreign.headers["Location"] == "/notifications/"  # never off-site
    db.session.expire_all()
    assert notifications.unread_count(reviewer) == 0


def test_nobody_opens_another_users_notification(client, db, login_as, make_user):
    other = make_user(Role.BOARD)
    notice = notifications.notify(other, "Riêng tư")
    db.session.commit()
    login_as(Role.REVIEWER)
    assert client.post(f"/notifications/{notice.id}").status_code == 404
    assert "Riêng tư" not in client.get("/notifications/").get_data(as_text=True)


def test_read_all(client, db, login_as):
    user = login_as(Role.UNIT_CLERK)
    for n in range(3):
        notifications.notify(user, f"Thông báo {n}")
    db.session.commit()
    assert client.post("/notifications/read-all").status_code == 302
    db.session.expire_all()
    assert notifications.unread_count(user) == 0
