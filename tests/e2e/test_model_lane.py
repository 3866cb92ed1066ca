"""Done when (issue 14, model lane): a model trained on one generated seed with ``kefu model train`` and made
live with ``kefu model promote`` holds, over HTTP, payments of another seed that the rules alone allow, and
each decision names the model version; ``kefu model list`` and ``kefu model backtest`` report on it."""

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
from kefu.screening import PayerProfile, Payment, Screener, default_rule_set
from kefu.screening.model import ScoringModel
from kefu.sim.payments_hard import generate_payments
from tests.clocks import MORNING
from tests.conftest import Database, asgi_client, make_user, settings_for


@pytest_asyncio.fixture
async def desk(sqlite_database: Database) -> AsyncIterator[Kefu]:
    k = await bootstrap(
        settings_for(sqlite_database, rules_check_s=0),
        hasher=Argon2Hasher(fast=True),
        publisher=InProcessBus(),
        clock=FakeClock(MORNING),
        notifier=RecordingNotifier(),
        relay=False,
        routing=False,
    )
    try:
        yield k
    finally:
        await k.close()


async def _cli(args: list[str], env: dict[str, str]) -> Result:
    """The command line in a thread of its own (it runs its own event loop)."""
    return await asyncio.to_thread(lambda: CliRunner().invoke(app, args, env=env))


def _json(output: str) -> Any:
    """The JSON a command printed, after any log lines of the bootstrap (logging is left unconfigured)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line in {"[", "{"})
    return json.loads("\n".join(lines[start:]))


def _request(record: dict[str, Any]) -> dict[str, Any]:
    """A generated record as the payments side sends it: a payer known only by its external id."""
    body = {k: v for k, v in record.items() if k not in {"label", "payer_profile"}}
    body["payer"] = {"external_id": record["payer"]["customer_id"]}
    return body


async def test_a_promoted_model_holds_what_the_rules_allow(
    desk: Kefu, sqlite_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Train on seed 21, promote, screen seed 22 over HTTP: every decision equals an in-process replay
    with the same model, payments the rules alone allow are held or blocked, and they name the model."""
    monkeypatch.setattr("kefu.entrypoints.cli_run.configure_logging", lambda *a, **k: None)
    env = {"KEFU_DATABASE_URL": sqlite_database.url}
    data = tmp_path / "seed21.jsonl"
    lines = (json.dumps(r, ensure_ascii=False) for r in generate_payments(8000, 21, 0.05, "hard"))
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    trained = await _cli(["model", "train", "--from", str(data), "--version", "m-hard"], env)
    assert trained.exit_code == 0, trained.output
    listed = await _cli(["model", "list"], env)
    assert [(m["version"], m["status"]) for m in _json(listed.output)] == [("m-hard", "shadow")]
    promoted = await _cli(["model", "promote", "m-hard"], env)
    assert promoted.exit_code == 0 and "m-hard is live" in promoted.output

    async with desk.bus.uow_factory() as uow:
        stored = await uow.models.get("m-hard")
    assert stored is not None
    model = ScoringModel.from_dict(stored.params)
    records = list(generate_payments(600, 22, 0.1, "hard"))
    rules_alone = Screener(default_rule_set())
    with_model = Screener(default_rule_set(), model=model)
    expected = []
    for record in records:
        payment = Payment.from_dict(record)
        expected.append(
            (rules_alone.screen(payment, PayerProfile()), with_model.screen(payment, PayerProfile()))
        )
    caught = [i for i, (r, m) in enumerate(expected) if r.decision == "allow" and m.stops_payment]
    assert caught, "the model should stop some payments the rules allow on an unseen seed"

    gateway = await make_user(desk, "gateway", "integration")
    supervisor = await make_user(desk, "sup", "supervisor")
    async with asgi_client(desk) as client:
        answers = []
        for record in records:
            r = await client.post("/api/v1/payments/screen", json=_request(record), headers=gateway)
            assert r.status_code == 200, r.text
            answers.append(r.json())
        window = {"from": "2026-01-01T00:00:00+08:00", "to": "2026-02-01T00:00:00+08:00"}
        stats = await client.get("/api/v1/stats/fraud", params=window, headers=supervisor)
        assert stats.status_code == 200, stats.text
    (drift,) = stats.json()["models"]
    stops = sum(a["decision"] in {"hold", "block"} for a in answers)
    assert (drift["model_version"], drift["week"], drift["screened"]) == ("m-hard", "2026-01-05", 600)
    assert drift["stop_rate"] == round(stops / 600, 4) and drift["precision"] is None
    assert [a["decision"] for a in answers] == [m.decision for _, m in expected]
    for i in caught:
        assert answers[i]["decision"] in {"hold", "block"}
        assert answers[i]["model"]["version"] == "m-hard"
        assert answers[i]["model"]["points"] > 0
    assert sum(records[i]["label"]["scam"] for i in caught) > len(caught) / 2  # mostly real scams

    unseen = tmp_path / "seed22.jsonl"
    unseen.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    backtest = await _cli(["model", "backtest", "--data", str(unseen), "--json"], env)
    assert backtest.exit_code == 0, backtest.output
    lanes = _json(backtest.output)["lanes"]
    assert set(lanes) == {"rules", "model", "both"}
    assert lanes["both"]["scam_value_stopped"] >= lanes["rules"]["scam_value_stopped"]
