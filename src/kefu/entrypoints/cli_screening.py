"""``kefu rules load|backtest``, ``kefu labels export``, ``kefu sim payments`` and ``kefu screen-stream``.

``screen-stream`` consumes payment requests from NATS JetStream (``kefu.payments.<partition>``, stream
``KEFU_PAYMENTS``), screens each through the same service as ``POST /api/v1/payments/screen`` and publishes
the decision on ``kefu.decisions.<partition>`` (stream ``KEFU_DECISIONS``) before acknowledging. A redelivered
message gets the stored answer: the service is idempotent on ``payment_id``, so features are never counted
twice and no second case is opened; the decision's message id is the payment id, so JetStream drops a
duplicate publish as well.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import nats
import nats.errors
import structlog
import typer
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig
from nats.js.errors import BadRequestError

from kefu.bootstrap import Kefu
from kefu.domain.errors import IdempotencyMismatch, InvalidInput, KefuError, Unavailable
from kefu.domain.payments import ScreenPayment
from kefu.domain.users import SYSTEM_ACTOR, Actor
from kefu.entrypoints.cli_run import command_settings as _settings
from kefu.entrypoints.cli_run import run_work as _run
from kefu.entrypoints.logging import configure_logging
from kefu.screening.commands import LoadRuleSet

log = structlog.get_logger("kefu.screen_stream")

rules_app = typer.Typer(help="Screening rule sets: load a new version, backtest.", no_args_is_help=True)
labels_app = typer.Typer(help="Payment labels: export them for a model trainer.", no_args_is_help=True)

PAYMENTS_STREAM = "KEFU_PAYMENTS"
PAYMENTS_PREFIX = "kefu.payments"
DECISIONS_STREAM = "KEFU_DECISIONS"
DECISIONS_PREFIX = "kefu.decisions"
STREAM_ACTOR = Actor(user_id="screen-stream", username="screen-stream", role="integration")


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read {what} {str(path)!r}: {exc.strerror or exc}") from exc


@rules_app.command("load")
def rules_load(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="A YAML rule set.")]) -> None:
    """Validate FILE and store it as the newest rule set; servers use it from their next screening."""
    settings = _settings(ctx)
    source = _read(file, "rule set")
    active = _run(settings, lambda k: k.bus.handle(LoadRuleSet(source), SYSTEM_ACTOR))
    t = active.thresholds
    print(  # noqa: T201 - the confirmation is the output
        f"loaded rule set {active.rule_set.version} (seq {active.seq}, {len(active.rule_set.rules)} rules, "
        f"thresholds warn {t.warn} / hold {t.hold} / block {t.block})"
    )


def _records(path: Path) -> list[dict[str, Any]]:
    records = []
    for n, line in enumerate(_read(path, "data file").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path}:{n}: not JSON: {exc.msg}") from exc
        if not isinstance(record, dict):
            raise InvalidInput(f"{path}:{n}: each line must be a JSON object")
        records.append(record)
    return records


@rules_app.command("backtest")
def rules_backtest(
    data: Annotated[Path, typer.Option(help="Labelled payments, JSON lines (kefu sim payments).")],
    rules: Annotated[
        Path | None, typer.Option(help="A YAML rule set; the shipped default when omitted.")
    ] = None,
    against: Annotated[Path | None, typer.Option(help="A second rule set, side by side.")] = None,
) -> None:
    """Precision, recall, hold rate and money saved per rule set and typology, printed as a table."""
    from kefu.screening import backtest, default_rule_set, format_backtest, load_rule_set  # noqa: PLC0415

    main = default_rule_set() if rules is None else load_rule_set(_read(rules, "rule set"))
    other = None if against is None else load_rule_set(_read(against, "rule set"))
    result = backtest(main, _records(data), against=other)
    print(format_backtest(result))  # noqa: T201 - the table is the output


@labels_app.command("export")
def labels_export(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option(help="Where to write JSON lines (standard output if omitted).")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only payments labelled at or after this ISO time (UTC if no zone).")
    ] = None,
) -> None:
    """Every labelled payment with its current label, decision, score and counter features, as JSON lines."""
    from kefu.services.screening.labels import export_labels  # noqa: PLC0415

    settings = _settings(ctx)
    start = None if since is None else _iso(since)
    rows = _run(settings, lambda k: export_labels(k.bus.context(SYSTEM_ACTOR), start))
    lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if out is None:
        sys.stdout.write(lines)
        return
    try:
        out.write_text(lines, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot write {str(out)!r}: {exc.strerror or exc}") from exc
    print(f"wrote {len(rows)} labelled payments to {out}")  # noqa: T201 - the summary is the output


def _iso(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput("since must be an ISO time such as 2026-12-01T00:00:00Z", field="since") from exc
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def sim_payments(
    count: Annotated[int, typer.Option(min=1, max=10_000_000, help="Payments to generate.")],
    out: Annotated[Path, typer.Option(help="Where to write JSON lines.")],
    seed: int = 0,
    scam_rate: Annotated[float, typer.Option(min=0.0, max=0.5, help="Share of scam payments.")] = 0.01,
    difficulty: Annotated[
        str, typer.Option(help="easy, or hard: scams that hide and honest payments that look like scams.")
    ] = "easy",
) -> None:
    """A labelled stream of ordinary payments and scams of every typology, as JSON lines."""
    from kefu.sim.payments_hard import generate_payments  # noqa: PLC0415

    if difficulty not in {"easy", "hard"}:
        raise InvalidInput("difficulty must be easy or hard", field="difficulty")

    written = 0
    scams = 0
    try:
        with out.open("w", encoding="utf-8") as f:
            for record in generate_payments(count, seed, scam_rate, difficulty):
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
                written += 1
                scams += bool(record.get("label", {}).get("scam"))
    except OSError as exc:
        raise InvalidInput(f"cannot write {str(out)!r}: {exc.strerror or exc}") from exc
    print(f"wrote {written} payments ({scams} scams) to {out}")  # noqa: T201 - the summary is the output


# -- the screening stream -----------------------------------------------------------------------------------


async def _ensure_stream(js: Any, name: str, prefix: str) -> None:
    config = StreamConfig(name=name, subjects=[f"{prefix}.>"], max_age=7 * 24 * 3600)
    try:
        await js.add_stream(config)
    except BadRequestError:
        await js.update_stream(config)


async def screen_message(kefu: Kefu, data: bytes) -> dict[str, Any]:
    """The decision (or a refusal) for one stream message; never raises for bad input."""
    try:
        request = json.loads(data)
        if not isinstance(request, dict):
            raise InvalidInput("a payment message must be a JSON object")
        record = await kefu.bus.handle(ScreenPayment(request), STREAM_ACTOR)
        return {**record.result, "status": record.status}
    except json.JSONDecodeError:
        return {"payment_id": None, "error": {"code": "invalid_json", "detail": "the message is not JSON"}}
    except (InvalidInput, IdempotencyMismatch) as exc:  # would never succeed: answered, not redelivered
        payment_id = request.get("payment_id") if isinstance(request, dict) else None
        return {"payment_id": payment_id, "error": {"code": exc.code, "detail": exc.detail, **exc.fields}}


async def run_screen_stream(
    kefu: Kefu,
    nats_url: str,
    partitions: str = ">",
    durable: str = "kefu-screening",
    batch: int = 64,
    stop_after: int | None = None,
    idle_stop_s: float | None = None,
) -> int:
    """Consume, screen, publish, acknowledge; returns how many messages were handled.

    ``partitions`` selects the subjects (``>`` for all, or one partition); ``stop_after`` and ``idle_stop_s``
    end the loop (tests and batch runs); otherwise it runs until cancelled."""
    try:
        nc = await asyncio.wait_for(nats.connect(nats_url, connect_timeout=2), timeout=5)
    except (TimeoutError, OSError, nats.errors.Error) as exc:
        raise Unavailable(f"cannot reach NATS at {nats_url}") from exc
    handled = 0
    idle = 0.0
    try:
        js = nc.jetstream()
        await _ensure_stream(js, PAYMENTS_STREAM, PAYMENTS_PREFIX)
        await _ensure_stream(js, DECISIONS_STREAM, DECISIONS_PREFIX)
        sub = await js.pull_subscribe(
            f"{PAYMENTS_PREFIX}.{partitions}",
            durable=durable,
            stream=PAYMENTS_STREAM,
            config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=30, max_deliver=20),
        )
        while stop_after is None or handled < stop_after:
            want = batch if stop_after is None else min(batch, stop_after - handled)
            try:
                messages = await sub.fetch(want, timeout=1.0)
            except (TimeoutError, nats.errors.TimeoutError):
                idle += 1.0
                if idle_stop_s is not None and idle >= idle_stop_s:
                    break
                continue
            idle = 0.0
            for msg in messages:
                try:
                    decision = await screen_message(kefu, msg.data)
                except KefuError as exc:
                    # The store or counters are down: let JetStream deliver it again later.
                    log.warning("screening failed; will be redelivered", error=exc.detail)
                    await msg.nak(delay=5)
                    continue
                partition = msg.subject.rsplit(".", 1)[-1]
                body = json.dumps(decision, ensure_ascii=False, default=str).encode()
                headers = None
                if decision.get("payment_id") and "error" not in decision:
                    headers = {"Nats-Msg-Id": f"decision:{decision['payment_id']}"}
                await js.publish(f"{DECISIONS_PREFIX}.{partition}", body, headers=headers)
                await msg.ack()
                handled += 1
    finally:
        await nc.drain()
    return handled


def screen_stream(
    ctx: typer.Context,
    partitions: Annotated[
        str, typer.Option(help="Subject suffix to consume: '>' for all, or a partition.")
    ] = ">",
    durable: Annotated[
        str, typer.Option(help="Durable consumer name shared by the workers.")
    ] = "kefu-screening",
    batch: Annotated[int, typer.Option(min=1, max=1000)] = 64,
    max_messages: Annotated[int | None, typer.Option(help="Stop after this many messages.")] = None,
) -> None:
    """Screen payments from NATS JetStream and publish the decisions; runs until interrupted."""
    settings = _settings(ctx)
    if not settings.nats_url:
        raise InvalidInput("screen-stream needs KEFU_NATS_URL (or --nats-url)")
    url = settings.nats_url
    configure_logging(settings.json_logs)
    handled = _run(
        settings, lambda k: run_screen_stream(k, url, partitions, durable, batch, stop_after=max_messages)
    )
    print(f"screened {handled} payments")  # noqa: T201 - the summary is the output
