"""Labels over HTTP (issue 14): the payments side and supervisors label a payment with later evidence
(201), others are refused (403), an unknown payment is 404, a bad body 422; GET /payments/{id} shows the
current label and its source; ``kefu labels export`` writes the labelled payments as JSON lines."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from typer.testing import CliRunner, Result

from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.notify import RecordingNotifier
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.bootstrap import Kefu, bootstrap
from kefu.domain.clock import FakeClock
from kefu.entrypoints.cli import app
from tests.clocks import MORNING, clock_for, clock_matrix
from tests.conftest import Database, asgi_client, make_user, settings_for

pytestmark = clock_matrix


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> FakeClock:
    """10:00 in Beijing on a fixed day, frozen or advancing."""
    return clock_for(request, MORNING)


@pytest_asyncio.fixture
async def desk(database: Database, clock: FakeClock) -> AsyncIterator[Kefu]:
    k = await bootstrap(
        settings_for(database, rules_check_s=0),
        hasher=Argon2Hasher(fast=True),
        publisher=InProcessBus(),
        clock=clock,
        notifier=RecordingNotifier(),
        relay=False,
        routing=False,
    )
    try:
        yield k
    finally:
        await k.close()


def _payment(payment_id: str, clock: FakeClock) -> dict[str, Any]:
    return {
        "payment_id": payment_id,
        "payer": {"external_id": "ext-1"},
        "payee": {"account_id": "acct-shop", "name": "小卖部", "kind": "merchant"},
        "amount": 5_000,
        "currency": "CNY",
        "channel": "transfer",
        "created_at": clock.now().isoformat(),
    }


async def _cli(args: list[str], env: dict[str, str]) -> Result:
    """The command line in a thread of its own (it runs its own event loop)."""
    runner = CliRunner()
    return await asyncio.to_thread(lambda: runner.invoke(app, args, env=env))


async def test_labels_over_http_and_the_export(
    desk: Kefu, clock: FakeClock, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Integration and supervisor label (history kept, latest shown); agents and admins are refused; 404
    and 422 as problem+json; the export writes the current label with the decision and features."""
    gw = await make_user(desk, "gateway", "integration")
    sup = await make_user(desk, "sup", "supervisor")
    agent = await make_user(desk, "li", "agent")
    admin = await make_user(desk, "root", "admin")
    async with asgi_client(desk) as client:
        screened = await client.post("/api/v1/payments/screen", json=_payment("p-1", clock), headers=gw)
        assert screened.status_code == 200, screened.text
        got = (await client.get("/api/v1/payments/p-1", headers=gw)).json()
        assert (got["label"], got["label_source"]) == (None, None)
        url = "/api/v1/payments/p-1/label"
        r = await client.post(url, json={"label": "legitimate", "source": "merchant_confirmed"}, headers=gw)
        assert r.status_code == 201, r.text
        assert (r.json()["label"], r.json()["by"]) == ("legitimate", "gateway")
        body = {"label": "scam", "source": "police_report", "note": "案件编号 2026-118"}
        r = await client.post(url, json=body, headers=sup)
        assert r.status_code == 201, r.text
        got = (await client.get("/api/v1/payments/p-1", headers=sup)).json()
        assert (got["label"], got["label_source"]) == ("scam", "police_report")
        for who in (agent, admin):
            r = await client.post(url, json=body, headers=who)
            assert r.status_code == 403, r.text
        r = await client.post("/api/v1/payments/p-nope/label", json=body, headers=gw)
        assert (r.status_code, r.headers["content-type"]) == (404, "application/problem+json")
        for bad in ({"label": "fraud", "source": "x"}, {"label": "scam"}, {"label": "scam", "source": "a b"}):
            r = await client.post(url, json=bad, headers=gw)
            assert (r.status_code, r.headers["content-type"]) == (422, "application/problem+json"), bad
    # The command would point logging at the runner's captured stream, closed once it returns.
    monkeypatch.setattr("kefu.entrypoints.cli_screening.configure_logging", lambda *a, **k: None)
    monkeypatch.setattr("kefu.entrypoints.cli_run.configure_logging", lambda *a, **k: None)
    out = tmp_path / "labels.jsonl"
    env = {"KEFU_DATABASE_URL": database.url, "KEFU_DATABASE_SCHEMA": database.schema or ""}
    result = await _cli(["labels", "export", "--out", str(out)], env)
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert (row["payment_id"], row["label"], row["source"], row["decision"]) == (
        "p-1",
        "scam",
        "police_report",
        screened.json()["decision"],
    )
    assert row["features"]["payer_out_count_24h"] == 1
    none = tmp_path / "none.jsonl"
    later = await _cli(["labels", "export", "--out", str(none), "--since", "2999-01-01T00:00:00"], env)
    assert (later.exit_code, none.read_text(encoding="utf-8")) == (0, "")
    refused = await _cli(["labels", "export", "--since", "yesterday"], env)
    assert refused.exit_code != 0
