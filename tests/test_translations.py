"""The English catalogue: complete, placeholders intact, and used by the pages.

Vietnamese is the source language: every msgid in the code and the templates is Vietnamese, and
translations/en/LC_MESSAGES/messages.po holds the English. Adding or changing a string means running
``scripts/update-translations.sh`` and translating the new entries, or the first test fails.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from markupsafe import escape

from awards.extensions import db
from models import Role
from tests.conftest import login

ROOT = Path(__file__).resolve().parent.parent
PO_FILE = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO_FILE = PO_FILE.with_suffix(".mo")
FIX = "run scripts/update-translations.sh, then translate the empty entries in " + str(
    PO_FILE.relative_to(ROOT)
)

# printf-style named or positional placeholders, and str.format fields; "%%" is a literal percent.
PLACEHOLDER = re.compile(r"%%|%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]|\{[^{}]*\}")


def _read(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh)


def _key(message: Message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


def _strings(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def _placeholders(text: str) -> Counter[str]:
    return Counter(p for p in PLACEHOLDER.findall(text) if p != "%%")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The catalogue template as ``scripts/update-translations.sh`` extracts it, from the code as it is."""
    pot = tmp_path_factory.mktemp("babel") / "messages.pot"
    command = [
        sys.executable,
        "-m",
        "babel.messages.frontend",
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "_l",
        "-k",
        "lazy_gettext",
        "-o",
        str(pot),
        "--no-location",
        "--sort-output",
        "--project",
        "Khen Thuong So",
        "--ignore-dirs=.venv migrations tests",
        ".",
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return _read(pot)


@pytest.fixture(scope="module")
def english() -> Catalog:
    return _read(PO_FILE)


def _entries(catalog: Catalog) -> Iterator[Message]:
    return (message for message in catalog if message.id)


def test_every_extracted_string_has_an_english_translation(
    extracted: Catalog, english: Catalog
) -> None:
    assert len(list(_entries(extracted))) > 100  # the extraction found the app's strings
    missing = []
    for message in _entries(extracted):
        translated = english.get(message.id)
        if (
            translated is None
            or "fuzzy" in translated.flags
            or not all(s.strip() for s in _strings(translated))
            or isinstance(message.id, tuple) != isinstance(translated.id, tuple)
        ):
            missing.append(_key(message))
    assert not missing, (
        f"{len(missing)} message(s) without an English translation ({FIX}):\n  "
        + "\n  ".join(missing)
    )


def test_catalogue_is_not_fuzzy_and_passes_babels_checks(english: Catalog) -> None:
    assert not english.fuzzy, f"the header of {PO_FILE.name} is marked fuzzy"
    fuzzy = [_key(m) for m in _entries(english) if "fuzzy" in m.flags]
    assert not fuzzy, f"fuzzy entries ({FIX}):\n  " + "\n  ".join(fuzzy)
    problems = [f"{_key(m)}: {'; '.join(map(str, errors))}" for m, errors in english.check()]
    assert not problems, "\n".join(problems)


def test_placeholders_match(english: Catalog) -> None:
    wrong = []
    for message in _entries(english):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        expected = _placeholders(ids[0])
        for form, text in enumerate(_strings(message)):
            if text and _placeholders(text) != expected:
                wrong.append(f"{_key(message)!r} -> msgstr[{form}] {text!r}")
    assert not wrong, "placeholders differ between msgid and msgstr:\n  " + "\n  ".join(wrong)


@pytest.fixture()
def compiled() -> None:
    """The pages read the compiled catalogue (git-ignored, built by ``make translations``)."""
    if not MO_FILE.exists() or MO_FILE.stat().st_mtime < PO_FILE.stat().st_mtime:
        pytest.fail(
            f"{MO_FILE.relative_to(ROOT)} is missing or older than the .po: run make translations"
        )


def _english_for(english: Catalog, *msgids: str) -> list[str]:
    texts = []
    for msgid in msgids:
        message = english.get(msgid)
        assert message is not None and message.string, f"no translation for {msgid!r}"
        texts.append(str(escape(message.string)))
    return texts


HOME_PAGE = (
    "Đăng xuất",
    "Đổi mật khẩu",
    "Trang chủ",
    "Các đợt xét khen thưởng",
    "Việc của bạn",
    "Nhật ký hệ thống",
    "Quản trị hệ thống",
    "Hệ thống quản lý thi đua, khen thưởng",
)


def test_home_page_in_the_users_language(client, make_user, english, compiled) -> None:
    user = make_user(Role.ADMIN)
    user.locale = "en"
    db.session.commit()
    assert login(client, user.username).status_code == 302

    html = client.get("/").get_data(as_text=True)

    assert '<html lang="en">' in html
    assert "Log out" in html
    for text in _english_for(english, *HOME_PAGE):
        assert text in html
    for vietnamese in HOME_PAGE:
        assert vietnamese not in html


def test_home_page_in_vietnamese_by_default(client, make_user, english, compiled) -> None:
    user = make_user(Role.ADMIN)
    assert login(client, user.username).status_code == 302

    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)

    # The account's language wins over the browser's.
    assert '<html lang="vi">' in html
    for vietnamese in HOME_PAGE:
        assert vietnamese in html
    assert "Log out" not in html


LOGIN_PAGE = ("Đăng nhập", "Tên đăng nhập", "Mật khẩu", "Ghi nhớ đăng nhập trên máy này")


def test_login_page_follows_the_browser_language(client, english, compiled) -> None:
    html = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(
        as_text=True
    )
    assert '<html lang="en">' in html
    assert "Log in" in html
    for text in _english_for(english, *LOGIN_PAGE):
        assert text in html
    for vietnamese in LOGIN_PAGE:
        assert vietnamese not in html

    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="vi">' in html
    for vietnamese in LOGIN_PAGE:
        assert vietnamese in html
    assert "Log in" not in html
