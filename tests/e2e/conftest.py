"""Browser fixtures: a real server (gunicorn, as ``make run`` starts it) on a temporary SQLite database
loaded with the demo and a round of the tests' own (``seed_round.py``), caught mid-filing whatever
stage the demo's rounds have reached; Debian's chromium driven by Playwright for Python. Without
chromium the browser tests are skipped, except under ``REQUIRE_BROWSER_TEST=true`` (``.ci/run`` in
CI), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "KhenThuong@2025"

CHROMIUM = shutil.which("chromium")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("e2e")
    env = {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{work / 'e2e.sqlite3'}",
        "UPLOAD_ROOT": str(work / "uploads"),
        "SECRET_KEY": "e2e-secret-key-0123456789abcdef0123456789",
    }
    env.pop("TEST_DATABASE_URL", None)
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    for command in (
        [*flask, "init-db"],
        [*flask, "seed-demo"],
        [sys.executable, "-m", "tests.e2e.seed_round"],
    ):
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            pytest.fail(f"{' '.join(command[1:])} failed:\n{done.stdout}\n{done.stderr}")
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "app:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)  # noqa: S310 (loopback only)
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        if os.environ.get("REQUIRE_BROWSER_TEST") == "true":
            pytest.fail("chromium is required for the browser tests (REQUIRE_BROWSER_TEST=true)")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture()
def log_in(browser, server: str) -> Callable[[str], object]:  # type: ignore[no-untyped-def]
    """``log_in(username)``: a new page logged in as that demo account; ``page.js_errors`` collects
    the page's JavaScript errors."""
    return lambda username: _log_in(browser, server, username)


def _log_in(browser, base: str, username: str):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.wait_for_url(f"{base}/")
    page.js_errors = errors
    return page
