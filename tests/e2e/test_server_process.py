"""A real ``kefu`` process: the CLI, ``kefu serve`` over HTTP, and a SIGKILL that must lose nothing.

These tests start the installed console script as a subprocess, each with its own database, working
directory and free port, so they run in parallel without colliding.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import Database

VALID_STATUSES = {"queued", "assigned", "resolved", "closed", "abandoned"}
PASSWORD = "process-test-pass"
START_TIMEOUT_S = 60.0
CLI_TIMEOUT_S = 120.0


def kefu_executable() -> str:
    """The installed ``kefu`` console script of this virtualenv (or, failing that, the one on PATH)."""
    beside = Path(sys.executable).parent / "kefu"
    if beside.exists():
        return str(beside)
    found = shutil.which("kefu")
    if found is None:
        pytest.fail("the kefu console script is not installed; run `pip install -e .`")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def hermetic_env(database: Database | None = None, **more: str) -> dict[str, str]:
    """The caller's environment without any KEFU_* setting, pointed at ``database``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    env["KEFU_ENV"] = "dev"
    env["PYTHONUNBUFFERED"] = "1"
    if database is not None:
        env.update(database.env())
    env.update(more)
    return env


def run_cli(
    args: list[str], env: dict[str, str], cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [kefu_executable(), *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )


def create_user_token(username: str, role: str, env: dict[str, str], cwd: Path) -> str:
    """Create a user with the CLI (password on stdin) and return a token from ``kefu token create``."""
    made = run_cli(["user", "create", username, "--role", role], env, cwd, stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    issued = run_cli(["token", "create", username], env, cwd)
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert token
    assert "\n" not in token, "token create must print only the token"
    return token


@dataclass
class KefuServer:
    """One ``kefu serve`` subprocess with its log in ``workdir``."""

    env: dict[str, str]
    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"serve-{self.port}-{self.starts}.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self) -> None:
        """Start the server and wait (with a deadline) until /healthz answers 200."""
        self.starts += 1
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [kefu_executable(), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env,
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"kefu serve exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"kefu serve did not become healthy within {START_TIMEOUT_S} s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing, like a power cut."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        self.process = None


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[list[KefuServer]]:
    """Servers started by a test; whatever is still running at the end is stopped."""
    started: list[KefuServer] = []
    yield started
    for server in started:
        server.stop()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- restart: nothing acknowledged is lost, nothing is half-written ----------------------------------


@dataclass
class Acknowledged:
    """Writes the server answered 2xx to, recorded by the traffic thread."""

    customers: dict[str, str] = field(default_factory=dict)  # id -> external_id
    conversations: dict[str, str] = field(default_factory=dict)  # id -> opening text
    messages: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (conversation id, body)
    cut_off: int = 0  # traffic threads stopped by a dropped connection (the kill), not by the test
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> int:
        with self.lock:
            return len(self.customers) + len(self.conversations) + len(self.messages)


def write_one_round(client: httpx.Client, run: str, n: int, acked: Acknowledged) -> None:
    """A customer, a conversation with its opening text, and a follow-up message; records each 2xx."""
    external_id = f"{run}-c{n}"
    r = client.post("/api/v1/customers", json={"external_id": external_id, "name": f"客户{n}"})
    if r.status_code != 201:
        return
    customer_id = r.json()["id"]
    with acked.lock:
        acked.customers[customer_id] = external_id
    opening = f"{run} opening {n}: 我的账户被冻结了"
    r = client.post(
        "/api/v1/conversations",
        json={"customer_id": customer_id, "business_line": "payments", "channel": "chat", "text": opening},
    )
    if r.status_code != 201:
        return
    conversation_id = r.json()["id"]
    assert r.json()["status"] in VALID_STATUSES
    with acked.lock:
        acked.conversations[conversation_id] = opening
    body = f"{run} follow-up {n}"
    r = client.post(f"/api/v1/conversations/{conversation_id}/messages", json={"body": body})
    if r.status_code == 201:
        with acked.lock:
            acked.messages[r.json()["id"]] = (conversation_id, body)


def traffic(url: str, token: str, run: str, acked: Acknowledged, stop: threading.Event) -> None:
    """Post writes until the server dies or ``stop`` is set; transport errors end the thread quietly."""
    with httpx.Client(base_url=url, headers=bearer(token), timeout=10.0) as client:
        for n in itertools.count():
            if stop.is_set():
                return
            try:
                write_one_round(client, run, n, acked)
            except httpx.TransportError:
                with acked.lock:
                    acked.cut_off += 1
                return


def all_pages(client: httpx.Client, path: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 200}
        if cursor:
            params["cursor"] = cursor
        r = client.get(path, params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return items


def kill_mid_traffic_and_check(database: Database, workdir: Path, servers: list[KefuServer]) -> None:
    env = hermetic_env(database)
    # The integration role opens conversations and posts on the customer's behalf.
    token = create_user_token("gateway", "integration", env, workdir)
    made = run_cli(["user", "create", "root", "--role", "admin"], env, workdir, stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    server = KefuServer(env, workdir)
    servers.append(server)
    server.start()
    login = httpx.post(f"{server.url}/api/v1/auth/login", json={"username": "root", "password": PASSWORD})
    assert login.status_code == 200, login.text
    admin = login.json()["access_token"]

    with httpx.Client(base_url=server.url, headers=bearer(admin), timeout=10.0) as client:
        r = client.post(
            "/api/v1/agents",
            json={"name": "王芳", "site": "chongqing", "skills": {"payments": 4}, "capacity": {"chat": 3}},
        )
        assert r.status_code == 201, r.text
        agent_id = r.json()["id"]

    run = uuid.uuid4().hex[:8]
    acked = Acknowledged()
    stop = threading.Event()
    threads = [
        threading.Thread(target=traffic, args=(server.url, token, f"{run}t{i}", acked, stop), daemon=True)
        for i in range(2)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while acked.count() < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert acked.count() >= 30, f"traffic did not get going:\n{server.log()}"
    server.kill()  # while both threads are still posting
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive()
    assert acked.cut_off >= 1, "the kill did not interrupt any traffic"

    server.start()
    with httpx.Client(base_url=server.url, headers=bearer(admin), timeout=10.0) as client:
        r = client.get(f"/api/v1/agents/{agent_id}")
        assert r.status_code == 200
        assert r.json()["name"] == "王芳"

        customers = {c["id"]: c for c in all_pages(client, "/api/v1/customers")}
        for customer_id, external_id in acked.customers.items():
            assert customer_id in customers, f"acknowledged customer {external_id} lost"
            assert customers[customer_id]["external_id"] == external_id

        conversations = all_pages(client, "/api/v1/conversations")
        listed = {str(c["id"]) for c in conversations}
        assert set(acked.conversations) <= listed, "an acknowledged conversation was lost"
        for conversation in conversations:
            assert conversation["customer_id"] in customers, "conversation without its customer"
            assert conversation["status"] in VALID_STATUSES
            detail = client.get(f"/api/v1/conversations/{conversation['id']}")
            assert detail.status_code == 200
            messages = detail.json()["messages"]
            # Every conversation that exists at all has its opening message: no half-written open.
            assert messages, f"conversation {conversation['id']} has no opening message"
            assert messages[0]["sender"] == "customer"
            assert " opening " in messages[0]["body"]
            expected_opening = acked.conversations.get(str(conversation["id"]))
            if expected_opening is not None:
                assert messages[0]["body"] == expected_opening
            bodies = {m["id"]: m["body"] for m in messages}
            for message_id, (conversation_id, body) in acked.messages.items():
                if conversation_id == conversation["id"]:
                    assert bodies.get(message_id) == body, "an acknowledged message was lost"

        # And the restarted server takes new work.
    with httpx.Client(base_url=server.url, headers=bearer(token), timeout=10.0) as client:
        before = acked.count()
        write_one_round(client, f"{run}-after", 0, acked)
        assert acked.count() == before + 3
    server.stop()


@pytest.mark.both_databases
@pytest.mark.slow
async def test_sigkill_mid_traffic_loses_no_acknowledged_write(
    database: Database, tmp_path: Path, server_factory: list[KefuServer]
) -> None:
    """After SIGKILL during writes and a restart, every 2xx write is there and nothing is half-written."""
    await asyncio.to_thread(kill_mid_traffic_and_check, database, tmp_path, server_factory)


# --- the CLI ------------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_env(tmp_path: Path) -> dict[str, str]:
    return hermetic_env(Database("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'kefu.db'}"))


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    assert lines[0].startswith("error: ")


@pytest.mark.both_databases
@pytest.mark.unmigrated
def test_db_upgrade_is_idempotent_and_keeps_data(database: Database, tmp_path: Path) -> None:
    """`kefu db upgrade` run again, on each database, changes nothing and loses no data."""
    env = hermetic_env(database)
    first = run_cli(["db", "upgrade"], env, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "revision" in first.stdout
    create_user_token("lin.fang", "supervisor", env, tmp_path)
    second = run_cli(["db", "upgrade"], env, tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    again = run_cli(["token", "create", "lin.fang"], env, tmp_path)
    assert again.returncode == 0, again.stderr


@pytest.mark.parametrize("command", [["serve"], ["db", "upgrade"], ["demo"]])
def test_prod_with_the_default_secret_refuses_to_start(
    sqlite_env: dict[str, str], tmp_path: Path, command: list[str]
) -> None:
    """KEFU_ENV=prod with the placeholder secret exits non-zero with a one-line error, serving nothing."""
    port = free_port()
    args = [*command, "--port", str(port)] if command == ["serve"] else command
    result = run_cli(args, {**sqlite_env, "KEFU_ENV": "prod"}, tmp_path)
    assert_one_line_error(result)
    assert "KEFU_SECRET" in result.stderr or "prod" in result.stderr


@pytest.mark.slow
def test_prod_with_a_strong_secret_serves(
    sqlite_env: dict[str, str], tmp_path: Path, server_factory: list[KefuServer]
) -> None:
    """KEFU_ENV=prod starts and answers /healthz once KEFU_SECRET is a real secret."""
    server = KefuServer(
        {**sqlite_env, "KEFU_ENV": "prod", "KEFU_SECRET": secrets.token_urlsafe(48)}, tmp_path
    )
    server_factory.append(server)
    server.start()
    r = httpx.get(f"{server.url}/healthz", timeout=5.0)
    assert r.json()["status"] == "ok"


def created_counts(demo_output: str) -> dict[str, int]:
    """{"users": 5, "agents": 61, ...} from `demo data ready (5 users, 61 agents, ... new)`."""
    summary = demo_output.splitlines()[0].split("(", 1)[1].rsplit(" new)", 1)[0]
    return {what: int(n) for n, what in (part.split(" ", 1) for part in summary.split(", "))}


@pytest.mark.slow
def test_demo_is_idempotent_and_its_logins_work(
    sqlite_env: dict[str, str], tmp_path: Path, server_factory: list[KefuServer]
) -> None:
    """`kefu demo` twice seeds once, prints the logins both times, and the printed logins sign in."""
    first = run_cli(["demo"], sqlite_env, tmp_path)
    assert first.returncode == 0, first.stderr
    second = run_cli(["demo"], sqlite_env, tmp_path)
    assert second.returncode == 0, second.stderr
    assert "demo logins" in first.stdout
    assert "demo logins" in second.stdout
    assert sum(created_counts(first.stdout).values()) > 0
    assert created_counts(first.stdout)["agents"] >= 50
    assert set(created_counts(second.stdout).values()) == {0}, second.stdout

    logins = [line.split() for line in first.stdout.splitlines() if line.startswith("  ")]
    assert {role for _, _, role in logins} == {"admin", "supervisor", "agent", "integration"}
    server = KefuServer(sqlite_env, tmp_path)
    server_factory.append(server)
    server.start()
    with httpx.Client(base_url=server.url, timeout=10.0) as client:
        for username, password, role in logins:
            r = client.post("/api/v1/auth/login", json={"username": username, "password": password})
            assert r.status_code == 200, r.text
            me = client.get("/api/v1/auth/me", headers=bearer(r.json()["access_token"]))
            assert me.json()["role"] == role
        admin = client.post("/api/v1/auth/login", json={"username": logins[0][0], "password": logins[0][1]})
        headers = bearer(admin.json()["access_token"])
        sites = client.get("/api/v1/sites", headers=headers).json()
        assert {s["id"] for s in sites} >= {"shenzhen", "chongqing", "chengdu", "wuhan", "yinchuan", "hefei"}
        agents = client.get("/api/v1/agents", headers=headers, params={"limit": 200}).json()["items"]
        assert len(agents) >= 50
        conversations = client.get("/api/v1/conversations", headers=headers).json()["items"]
        assert conversations


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        pytest.param(["user", "create", "bob", "--role", "wizard"], PASSWORD + "\n", id="unknown-role"),
        pytest.param(["user", "create", "bob", "--role", "agent"], "short\n", id="short-password"),
        pytest.param(["token", "create", "nobody"], "", id="unknown-user"),
    ],
)
def test_cli_bad_input_is_one_line_on_stderr(
    sqlite_env: dict[str, str], tmp_path: Path, args: list[str], stdin: str
) -> None:
    """Bad CLI input prints one `error:` line on stderr and exits non-zero, never a traceback."""
    result = run_cli(args, sqlite_env, tmp_path, stdin=stdin)
    assert_one_line_error(result)
    assert result.stdout == ""


def test_cli_refuses_a_duplicate_user(sqlite_env: dict[str, str], tmp_path: Path) -> None:
    """Creating the same username twice fails the second time with one line, and the first user stays."""
    first = run_cli(["user", "create", "lin.fang", "--role", "agent"], sqlite_env, tmp_path, PASSWORD + "\n")
    assert first.returncode == 0, first.stderr
    again = run_cli(["user", "create", "lin.fang", "--role", "agent"], sqlite_env, tmp_path, PASSWORD + "\n")
    assert_one_line_error(again)
    assert run_cli(["token", "create", "lin.fang"], sqlite_env, tmp_path).returncode == 0


def test_serve_with_a_bad_port_is_one_line(sqlite_env: dict[str, str], tmp_path: Path) -> None:
    """An out-of-range --port is a one-line configuration error, not a validation dump."""
    result = run_cli(["serve", "--port", "0"], sqlite_env, tmp_path)
    assert_one_line_error(result)
