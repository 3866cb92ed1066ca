"""Browser fixtures: one real ``kefu serve`` per module, Debian's chromium driven by Playwright.

Each test gets a fresh browser context (no shared localStorage) at 1280×800. Screenshots go to
``test-artifacts/browser/``. Chromium missing: skipped on a developer machine, a failure under ``CI=true``.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.conftest import migrated_sqlite
from tests.e2e.test_server_process import PASSWORD, KefuServer, hermetic_env, run_cli

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
UI_TIMEOUT_MS = 15_000  # a deadline for the page to show something, not a pause


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@dataclass
class Centre:
    """A running kefu with an admin, an integration (the customer side) and helpers to make agents."""

    server: KefuServer
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def call(self, role: str, method: str, path: str, json: Any = None, expect: int = 200) -> Any:
        r = httpx.request(
            method,
            f"{self.url}{path}",
            json=json,
            headers={"Authorization": f"Bearer {self.tokens[role]}"},
            timeout=10.0,
        )
        assert r.status_code == expect, f"{method} {path} -> {r.status_code}: {r.text}"
        return r.json() if r.content else None

    def agent(self, username: str, site: str = "chongqing", role: str = "agent") -> dict[str, Any]:
        """A login with an agent profile that can serve every queue of the default set."""
        made = run_cli(
            ["user", "create", username, "--role", role],
            self.server.env,
            self.server.workdir,
            stdin=PASSWORD + "\n",
        )
        assert made.returncode == 0, made.stderr
        # No "games": the wallboard test counts games contacts that nobody takes.
        skills = {"payments": 4, "social": 4, "elderly_care": 4, "anti_fraud": 4, "lang_zh": 5}
        body = {
            "name": "李静",
            "site": site,
            "skills": skills,
            "capacity": {"chat": 2, "voice": 1, "callback": 1},
            "username": username,
        }
        result: dict[str, Any] = self.call("admin", "POST", "/api/v1/agents", body, expect=201)
        return result

    def customer(self, name: str, birth_date: str | None = None, phone: str = "13812345678") -> str:
        body = {"external_id": f"ui-{uuid.uuid4().hex[:10]}", "name": name, "phone": phone}
        if birth_date:
            body["birth_date"] = birth_date
        return str(self.call("admin", "POST", "/api/v1/customers", body, expect=201)["id"])

    def contact(self, customer_id: str, line: str, subject: str, text: str, channel: str = "chat") -> str:
        """The customer opens a conversation (through the integration, as the chat front end would)."""
        body = {
            "customer_id": customer_id,
            "business_line": line,
            "channel": channel,
            "subject": subject,
            "text": text,
        }
        return str(self.call("integration", "POST", "/api/v1/conversations", body, expect=201)["id"])


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Centre]:
    """A fresh kefu on a free port with a migrated SQLite database; offers last long enough for CI."""
    workdir = tmp_path_factory.mktemp("browser")
    database = migrated_sqlite(sqlite_template, workdir)
    env = hermetic_env(database, KEFU_OFFER_TIMEOUT_S="300")
    for username, role in (("ui.admin", "admin"), ("ui.integration", "integration")):
        made = run_cli(["user", "create", username, "--role", role], env, workdir, stdin=PASSWORD + "\n")
        assert made.returncode == 0, made.stderr
    server = KefuServer(env, workdir)
    server.start()
    try:
        found = Centre(server)
        for username, role in (("ui.admin", "admin"), ("ui.integration", "integration")):
            r = httpx.post(
                f"{server.url}/api/v1/auth/login",
                json={"username": username, "password": PASSWORD},
                timeout=10.0,
            )
            assert r.status_code == 200, r.text
            found.tokens[role] = r.json()["access_token"]
        yield found
    finally:
        server.stop()


# Module scope, not session: Playwright's sync API keeps an event loop running while it is open, and
# async tests elsewhere cannot start theirs until it is closed again.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (make browser)"
        if _ci():
            pytest.fail(f"{message}; under CI=true the browser tests must run")
        pytest.skip(message)
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield launched
    launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    made = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    made.set_default_timeout(UI_TIMEOUT_MS)
    yield made
    made.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Any:
    """``shot(page, "step")`` saves test-artifacts/browser/<test>-<n>-<step>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_]+", "_", request.node.name)
    count = iter(range(1, 100))

    def take(page: Page, step: str, full_page: bool = False) -> Path:
        path = ARTIFACTS / f"{name}-{next(count):02d}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


def sign_in(page: Page, url: str, username: str) -> None:
    page.goto(url)
    page.get_by_label(re.compile("用户名|Username")).fill(username)
    page.get_by_label(re.compile("^(密码|Password)$")).fill(PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    page.locator("#workspace").wait_for(state="visible")
