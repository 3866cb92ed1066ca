"""Property-based API fuzzing with schemathesis against a real ``kefu serve`` process.

Every operation in ``/openapi.json`` is called with generated valid and invalid input as an admin, a
supervisor, an agent and an integration, and every answer goes through all of schemathesis's checks (the
same as ``schemathesis run --checks all``; the rejections a schema cannot express are listed, with their
reason, in ``schemathesis.toml``). No answer may be a 5xx, and every error must be RFC 9457
``application/problem+json``. docs/security.md records the full CLI runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis

from kefu.config import load_settings
from kefu.entrypoints.api.app import create_app
from tests.conftest import Database
from tests.e2e.test_server_process import PASSWORD, KefuServer, hermetic_env, run_cli

PROBLEM = "application/problem+json"
# Small enough that the whole file runs in about a minute on a 2-core machine: ~90 operations, four roles.
MAX_EXAMPLES = 5
ROLES = ("admin", "supervisor", "agent", "integration")


@dataclass(frozen=True)
class Served:
    url: str
    tokens: dict[str, str]  # role -> bearer token


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server for the module, with a user of each role (the agent has an agent profile and some work)."""
    workdir = tmp_path_factory.mktemp("schemathesis")
    env = hermetic_env(Database("sqlite", f"sqlite+aiosqlite:///{workdir / 'kefu.db'}"))
    for username, role in ((f"fuzz.{r}", r) for r in ROLES):
        made = run_cli(["user", "create", username, "--role", role], env, workdir, stdin=PASSWORD + "\n")
        assert made.returncode == 0, made.stderr
    server = KefuServer(env, workdir)
    server.start()
    try:
        tokens = {}
        with httpx.Client(base_url=server.url, timeout=10.0) as client:
            for username, role in ((f"fuzz.{r}", r) for r in ROLES):
                r = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
                assert r.status_code == 200, r.text
                tokens[role] = r.json()["access_token"]
            admin = {"Authorization": f"Bearer {tokens['admin']}"}
            # Some real rows, so generated requests also meet existing data, not only unknown ids.
            agent = client.post(
                "/api/v1/agents",
                headers=admin,
                json={
                    "name": "陈静",
                    "site": "wuhan",
                    "skills": {"social": 3, "lang_zh": 5},
                    "capacity": {"chat": 2},
                    "username": "fuzz.agent",
                },
            )
            assert agent.status_code == 201, agent.text
            customer = client.post(
                "/api/v1/customers",
                headers=admin,
                json={
                    "external_id": "fuzz-1",
                    "name": "张伟",
                    "phone": "13812345678",
                    "birth_date": "1950-03-01",
                },
            )
            assert customer.status_code == 201, customer.text
            conversation = client.post(
                "/api/v1/conversations",
                headers=admin,
                json={"customer_id": customer.json()["id"], "business_line": "social", "channel": "chat"},
            )
            assert conversation.status_code == 201, conversation.text
            assigned = client.post(
                f"/api/v1/conversations/{conversation.json()['id']}/assign",
                headers=admin,
                json={"agent_id": agent.json()["id"]},
            )
            assert assigned.status_code == 200, assigned.text
        yield Served(server.url, tokens)
    finally:
        server.stop()


def published_schema() -> schemathesis.BaseSchema:
    """The OpenAPI document kefu serves, built from the app itself (no database is touched)."""
    app = create_app(load_settings(env="dev", database_url="sqlite+aiosqlite://"))
    loaded = schemathesis.openapi.from_dict(app.openapi())
    loaded.config.generation.update(max_examples=MAX_EXAMPLES, database="none")
    return loaded


# Built at import so that pytest reports one test per operation; requests go to the real server below.
schema = published_schema()


def test_the_served_schema_is_the_one_fuzzed(served: Served) -> None:
    """The server publishes the same /openapi.json that the fuzzing below is generated from."""
    served_doc = httpx.get(f"{served.url}/openapi.json", timeout=10.0).json()
    assert served_doc == schema.raw_schema


@schema.parametrize()
def test_every_check_passes_for_every_role(case: schemathesis.Case[Any], served: Served) -> None:
    """Any generated request, in any role, passes every schemathesis check; errors are problem+json."""
    for role, token in served.tokens.items():
        response = case.call_and_validate(base_url=served.url, headers={"Authorization": f"Bearer {token}"})
        where = (
            f"{case.method} {case.formatted_path} as {role} -> {response.status_code}: {response.text[:300]}"
        )
        assert response.status_code < 500, where
        if response.status_code >= 400:
            assert response.headers.get("content-type", [""])[0].startswith(PROBLEM), where
            body = response.json()
            assert {"type", "title", "status", "detail"} <= set(body), where
            assert body["status"] == response.status_code, where
