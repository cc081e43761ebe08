"""The access matrix: every route in ``app.url_map`` × every role gets exactly its declared status.

Rules come from every module of ``tests/access_rules/`` (see its ``__init__``); a rule may also be a tuple
of rules, one per method. A route without a rule fails, naming its endpoint, and so does a rule for an
endpoint that does not exist. Each role meets a freshly built world (``tests/access_rules/world.py``), so
what one role's POST changed is not what the next role sees.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

import config
import tests.access_rules as rules_package
from app import create_app
from awards.extensions import db as _db
from tests.access_rules import ROLES, Rule
from tests.access_rules.world import World, build_world
from tests.conftest import login

# Served to everyone from the package or the Bootstrap-Flask folder; checked by test_static_files_served.
UNRULED = frozenset({"static", "bootstrap.static"})
HELPER_MODULES = frozenset({"world"})


def _load_rules() -> tuple[dict[str, tuple[Rule, ...]], list[str]]:
    rules: dict[str, tuple[Rule, ...]] = {}
    origin: dict[str, str] = {}
    problems: list[str] = []
    for info in pkgutil.iter_modules(rules_package.__path__):
        if info.name in HELPER_MODULES or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{rules_package.__name__}.{info.name}")
        declared = getattr(module, "RULES", None)
        if not isinstance(declared, dict):
            problems.append(f"tests/access_rules/{info.name}.py defines no RULES dict")
            continue
        for endpoint, value in declared.items():
            if endpoint in origin:
                problems.append(
                    f"{endpoint} is declared in both {origin[endpoint]} and {info.name}"
                )
            group = tuple(value) if isinstance(value, list | tuple) else (value,)
            if not group or not all(isinstance(rule, Rule) for rule in group):
                problems.append(f"{info.name}: the rule for {endpoint} is not a Rule")
                continue
            methods = [rule.method for rule in group]
            if len(set(methods)) != len(methods):
                problems.append(f"{info.name}: {endpoint} has two rules for one method")
            rules[endpoint] = group
            origin[endpoint] = info.name
    return rules, problems


RULES, RULE_PROBLEMS = _load_rules()
# The routes as the application declares them, read at collection time so that each is its own test.
_ROUTED = {rule.endpoint for rule in create_app(config.TestConfig()).url_map.iter_rules()} - UNRULED
ENDPOINTS = sorted(_ROUTED | set(RULES))


def test_rule_modules_are_well_formed() -> None:
    assert RULE_PROBLEMS == []


def _url(app: Flask, endpoint: str, rule: Rule, world: World) -> str:
    adapter = app.url_map.bind("localhost")
    variables = {
        name
        for url_rule in app.url_map.iter_rules(endpoint)
        if rule.method in (url_rule.methods or ())
        for name in url_rule.arguments
    }
    missing = variables - set(rule.url_args)
    if missing:
        raise AssertionError(f"{endpoint}: url_args lacks {sorted(missing)}")
    values = {name: world.resolve(reference) for name, reference in rule.url_args.items()}
    return adapter.build(endpoint, values, method=rule.method)


def _status(app: Flask, endpoint: str, rule: Rule, role: str) -> str | None:
    """Send the rule's request as ``role`` in a fresh world; a message if the status is not the one
    declared, else None."""
    world = build_world()
    url = _url(app, endpoint, rule, world)
    client: FlaskClient = app.test_client()
    user = world.user(role)
    if user is not None:
        response = login(client, user.username)
        if response.status_code != 302:
            return f"{role}: could not log in (status {response.status_code})"
    sent = {"query_string": rule.data} if rule.method == "GET" else {"data": rule.data}
    try:
        response = client.open(url, method=rule.method, **sent)
    except Exception as error:  # a crash is a finding for this role, not the end of the matrix
        return f"{role}: {rule.method} {url} raised {error!r}"
    expected = rule.statuses[role]
    if response.status_code != expected:
        return f"{role}: {rule.method} {url} gave {response.status_code}, declared {expected}"
    return None


def _empty_database() -> None:
    """Delete every row: on PostgreSQL ten times faster than the TRUNCATE of the ``db`` fixture, which
    matters at one world per role and rule. Ids are not reset; the matrix reads them from the world."""
    _db.session.rollback()
    _db.session.remove()
    with _db.engine.begin() as connection:
        for table in reversed(_db.metadata.sorted_tables):
            for fk in table.foreign_keys:  # SQLite checks RESTRICT row by row: cut self-references
                if fk.column.table is table and fk.parent.nullable:
                    connection.execute(table.update().values({fk.parent.name: None}))
            connection.execute(table.delete())


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_access(app: Flask, db: object, endpoint: str) -> None:
    if endpoint not in RULES:
        pytest.fail(
            f"No access rule for the route {endpoint!r}: declare who may reach it in "
            f"tests/access_rules/{endpoint.split('.')[0]}.py",
            pytrace=False,
        )
    if endpoint not in app.view_functions:
        pytest.fail(
            f"The access rule for {endpoint!r} names an endpoint the application does not have",
            pytrace=False,
        )
    failures = []
    first = True
    for rule in RULES[endpoint]:
        for role in ROLES:
            if not first:
                _empty_database()
            first = False
            failure = _status(app, endpoint, rule, role)
            if failure:
                failures.append(failure)
    if failures:
        pytest.fail(f"{endpoint}:\n" + "\n".join(failures), pytrace=False)


def test_static_files_served(app: Flask, db: object, client: FlaskClient) -> None:
    """The unruled endpoints serve the real files the pages link to, to anyone."""
    page = client.get("/login").get_data(as_text=True)
    links = re.findall(r'(?:href|src)="(/static/[^"?]+|/bootstrap/static/[^"?]+)"', page)
    folders = {
        "static": Path(app.static_folder or ""),
        "bootstrap.static": Path(app.blueprints["bootstrap"].static_folder or ""),
    }
    seen = set()
    adapter = app.url_map.bind("localhost")
    for link in links:
        endpoint, values = adapter.match(link)
        response = client.get(link)
        assert response.status_code == 200, link
        assert response.data == (folders[endpoint] / values["filename"]).read_bytes(), link
        seen.add(endpoint)
    assert seen == UNRULED
