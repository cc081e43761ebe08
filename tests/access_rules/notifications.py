from tests.access_rules import expect

# Every logged-in user has their own notifications; the world's notification belongs to the admin.
ALL = {
    "unit_clerk": 200,
    "unit_head": 200,
    "reviewer": 200,
    "board": 200,
    "approver": 200,
    "admin": 200,
}
POSTED = {role: 302 for role in ALL}

RULES = {
    "notifications.index": expect(**ALL),
    "notifications.read_all": expect("POST", **POSTED),
    "notifications.open_one": expect(
        "POST",
        url_args={"notification_id": "notification"},
        **{**{role: 404 for role in ALL}, "admin": 302},
    ),
}
