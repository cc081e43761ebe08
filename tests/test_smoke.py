from models import AuditEvent, Role
from tests.conftest import login


def test_login_and_home(client, make_user, db):
    user = make_user(Role.ADMIN, username="quantri", full_name="Nguyễn Văn An")
    response = login(client, "quantri")
    assert response.status_code == 302
    page = client.get("/")
    assert "Nguyễn Văn An" in page.get_data(as_text=True)
    assert (
        db.session.query(AuditEvent).filter_by(action="login", object_id=str(user.id)).count() == 1
    )
