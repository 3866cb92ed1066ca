"""``kefu screen-stream`` against the local NATS JetStream: payments in, decisions out, redelivery-safe."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import nats
import pytest_asyncio
from sqlalchemy import text

from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.bootstrap import Kefu, bootstrap
from kefu.domain.commands import CreateCustomer
from kefu.domain.users import SYSTEM_ACTOR
from kefu.entrypoints.cli_screening import (
    DECISIONS_PREFIX,
    DECISIONS_STREAM,
    PAYMENTS_PREFIX,
    PAYMENTS_STREAM,
    _ensure_stream,
    run_screen_stream,
    screen_message,
)
from tests.clocks import ELDERLY_BIRTH_DATE, MORNING
from tests.conftest import Database, settings_for


@pytest_asyncio.fixture
async def screening(database: Database) -> AsyncIterator[Kefu]:
    """A kefu without routing, as a screening worker runs."""
    k = await bootstrap(
        settings_for(database), hasher=Argon2Hasher(fast=True), publisher=InProcessBus(), routing=False
    )
    try:
        yield k
    finally:
        await k.close()


def _payment(payment_id: str, customer_id: str, **more: Any) -> dict[str, Any]:
    return {
        "payment_id": payment_id,
        "payer": {"customer_id": customer_id},
        "payee": {"account_id": f"acct-{payment_id}", "name": "边防战士 李强", "kind": "individual"},
        "amount": 10_000_000,
        "currency": "CNY",
        "memo": "给边防战士的捐款",
        "created_at": MORNING.isoformat(),  # the payment's own time: daytime, whatever the hour now
        **more,
    }


async def test_stream_screens_publishes_and_survives_redelivery(screening: Kefu, nats_url: str) -> None:
    """Each payment gets one decision on kefu.decisions.<partition>; repeats open no second case."""
    partition = f"t{uuid.uuid4().hex[:12]}"
    durable = f"test-{partition}"
    elderly = await screening.bus.handle(
        CreateCustomer(
            external_id=f"old-{partition}",
            name="王秀英",
            language="zh",
            birth_date=ELDERLY_BIRTH_DATE,
        ),
        SYSTEM_ACTOR,
    )
    scam = _payment(f"{partition}-scam", elderly.id)
    small = _payment(
        f"{partition}-small",
        elderly.id,
        amount=3_500,
        memo="午饭",
        payee={"account_id": "m-1", "name": "面馆", "kind": "merchant"},
    )
    # A worker screened the scam payment and died before acknowledging: the stream delivers it again.
    first = await screen_message(screening, json.dumps(scam).encode())
    assert first["decision"] == "hold"

    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await _ensure_stream(js, PAYMENTS_STREAM, PAYMENTS_PREFIX)
        await _ensure_stream(js, DECISIONS_STREAM, DECISIONS_PREFIX)
        subject = f"{PAYMENTS_PREFIX}.{partition}"
        for body in (scam, small, scam):  # the payments side also sends the scam payment twice
            await js.publish(subject, json.dumps(body).encode())
        await js.publish(subject, b"{not json")
        await js.publish(
            subject, json.dumps({**small, "payment_id": f"{partition}-bad", "amount": 1.5}).encode()
        )

        handled = await run_screen_stream(
            screening, nats_url, partitions=partition, durable=durable, stop_after=5
        )
        assert handled == 5

        decisions = await js.pull_subscribe(f"{DECISIONS_PREFIX}.{partition}", stream=DECISIONS_STREAM)
        got = [json.loads(m.data) for m in await decisions.fetch(10, timeout=2)]
        await js.delete_consumer(PAYMENTS_STREAM, durable)
    finally:
        await nc.drain()

    by_id = [d.get("payment_id") for d in got]
    assert by_id.count(scam["payment_id"]) == 1  # the repeated decision was dropped as a duplicate publish
    assert by_id.count(small["payment_id"]) == 1
    scam_decision = next(d for d in got if d.get("payment_id") == scam["payment_id"])
    assert scam_decision == first
    errors = [d["error"]["code"] for d in got if "error" in d]
    assert sorted(errors) == ["invalid_json", "invalid_payment"]

    async with screening.engine.connect() as conn:
        cases = (
            await conn.execute(
                text("SELECT count(*) FROM cases WHERE payment_id = :p"), {"p": scam["payment_id"]}
            )
        ).scalar_one()
        screened = (
            await conn.execute(
                text("SELECT count(*) FROM screenings WHERE payment_id LIKE :p"), {"p": f"{partition}%"}
            )
        ).scalar_one()
    assert (cases, screened) == (1, 2)


async def test_screen_stream_command_runs_as_a_process(sqlite_database: Database, nats_url: str) -> None:
    """`kefu screen-stream --max-messages N` consumes from NATS, publishes decisions and exits."""
    partition = f"p{uuid.uuid4().hex[:12]}"
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await _ensure_stream(js, PAYMENTS_STREAM, PAYMENTS_PREFIX)
        await _ensure_stream(js, DECISIONS_STREAM, DECISIONS_PREFIX)
        body = _payment(
            f"{partition}-1", "ignored", payer={"external_id": "new-payer"}, amount=2_000, memo=""
        )
        await js.publish(f"{PAYMENTS_PREFIX}.{partition}", json.dumps(body).encode())
        env = {**os.environ, **sqlite_database.env(), "KEFU_NATS_URL": nats_url}
        env.pop("KEFU_REDIS_URL", None)
        process = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "kefu"),
            "screen-stream",
            "--partitions",
            partition,
            "--durable",
            f"test-{partition}",
            "--max-messages",
            "1",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, err.decode()
        assert "screened 1 payments" in out.decode()
        decisions = await js.pull_subscribe(f"{DECISIONS_PREFIX}.{partition}", stream=DECISIONS_STREAM)
        got = [json.loads(m.data) for m in await decisions.fetch(1, timeout=5)]
        await js.delete_consumer(PAYMENTS_STREAM, f"test-{partition}")
    finally:
        await nc.drain()
    assert [(d["payment_id"], d["decision"]) for d in got] == [(f"{partition}-1", "allow")]
