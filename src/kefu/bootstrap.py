"""One place that wires kefu together: settings, store, bus, counters, security, clock.

The API, the CLI, the simulator and the tests all start here; tests pass fakes or real services into the
same function instead of building their own wiring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.bus.nats import NatsOutboxPublisher
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.adapters.security.tokens import JwtTokens
from kefu.adapters.store.engine import create_engine, upgrade
from kefu.adapters.store.uow import SqlUnitOfWork
from kefu.config import Settings
from kefu.domain.clock import Clock, SystemClock
from kefu.domain.events import TaskAssigned
from kefu.domain.users import SYSTEM_ACTOR
from kefu.routing import EngineConfig, Strategy
from kefu.services.handlers.screening import ScreeningDesk
from kefu.services.holds import HoldKeeper
from kefu.services.messagebus import MessageBus
from kefu.services.outbox import (
    Doorbell,
    NoPublisher,
    OutboxPublisher,
    OutboxRelay,
    RelaySettings,
    outbox_lag_s,
)
from kefu.services.ports import EventPublisher, Notifier, PasswordHasher, UnitOfWork, UnitOfWorkFactory
from kefu.services.routing import Router
from kefu.services.scheduler import Scheduler


@dataclass
class Kefu:
    """Everything a running kefu holds; ``close()`` releases it."""

    settings: Settings
    engine: AsyncEngine
    bus: MessageBus
    publisher: EventPublisher
    local_bus: InProcessBus
    redis: aioredis.Redis | None = None
    router: Router | None = None
    scheduler: Scheduler | None = None
    _closers: list[Any] = field(default_factory=list)
    screening: ScreeningDesk | None = None  # the anti-fraud desk: counters, notifier, rule set
    holds: HoldKeeper | None = None  # settles expired holds (where routing runs)
    outbox: OutboxRelay | None = None  # publishes the outbox (where routing runs, and in kefu worker)
    nats: NatsOutboxPublisher | None = None  # the relay's NATS connection, when KEFU_NATS_URL is set

    async def health(self) -> dict[str, str]:
        """State of each backing service: ``ok`` or a short reason."""
        state: dict[str, str] = {}
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            state["database"] = "ok"
        except Exception as exc:
            state["database"] = f"down: {type(exc).__name__}"
        healthy = await (self.nats.healthy() if self.nats is not None else self.publisher.healthy())
        state["bus"] = "ok" if healthy else "down"
        if self.redis is not None:
            try:
                await self.redis.ping()
                state["redis"] = "ok"
            except Exception as exc:
                state["redis"] = f"down: {type(exc).__name__}"
        return state

    async def outbox_lag_s(self) -> float | None:
        """Age in seconds of the oldest unsent event, by the injected clock; None if the database is down."""
        try:
            return await outbox_lag_s(self.bus.uow_factory, self.bus.clock)
        except Exception:
            return None

    async def close(self) -> None:
        for closer in reversed(self._closers):
            await closer()
        self._closers.clear()


async def bootstrap(
    settings: Settings,
    *,
    migrate: bool = True,
    clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
    publisher: EventPublisher | None = None,
    database_schema: str | None = None,
    routing: bool = True,
    notifier: Notifier | None = None,
    relay: bool | None = None,
    outbox_publisher: OutboxPublisher | None = None,
) -> Kefu:
    """Build a ready kefu. ``migrate`` applies pending migrations first (``kefu serve`` does); ``routing``
    starts this process's routing engine (one-shot CLI commands leave it off: their tasks are saved and
    the serving process routes them). ``relay`` runs the outbox relay here (default: where routing runs;
    ``kefu worker`` asks for it); ``outbox_publisher`` replaces NATS as where it publishes (tests)."""
    engine = create_engine(settings.database_url, schema=database_schema or settings.database_schema)
    closers: list[Any] = [engine.dispose]
    if migrate:
        await upgrade(engine)
    sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    clock = clock or SystemClock()
    doorbell = Doorbell()

    def uow_factory() -> UnitOfWork:
        return SqlUnitOfWork(sessions, clock, on_commit=doorbell.ring)

    local = InProcessBus()
    closers.append(local.close)
    # In-process reactions and live views only: events reach NATS through the outbox relay, never inline.
    chosen: EventPublisher = publisher if publisher is not None else local
    redis_client: aioredis.Redis | None = None
    if settings.redis_url:
        redis_client = aioredis.from_url(settings.redis_url)
        closers.append(redis_client.aclose)
    bus = MessageBus(
        uow_factory=uow_factory,
        publisher=chosen,
        clock=clock,
        settings=settings,
        hasher=hasher or Argon2Hasher(),
        tokens=JwtTokens(settings.secret.get_secret_value()),
    )
    router: Router | None = None
    if routing:
        router = Router(
            bus,
            EngineConfig(
                offer_timeout_s=settings.offer_timeout_s,
                max_missed_offers=settings.max_missed_offers,
                wrap_up_s=settings.wrap_up_s,
                strategy=Strategy(settings.routing_strategy),
            ),
        )
        await router.start()
        closers.append(router.stop)
    scheduler = await start_care(bus, run_scheduler=routing)
    if scheduler is not None:
        closers.append(scheduler.stop)
    desk, keeper = await start_screening(bus, redis_client, notifier, run_keeper=routing)
    closers.extend(desk_closers(desk, keeper))
    kefu = Kefu(settings, engine, bus, chosen, local, redis_client, router, scheduler, closers)
    kefu.screening, kefu.holds = desk, keeper
    run_relay = routing if relay is None else relay
    if run_relay:
        kefu.outbox, kefu.nats = await start_outbox(settings, uow_factory, clock, doorbell, outbox_publisher)
        closers.extend(outbox_closers(kefu.outbox, kefu.nats))
    return kefu


async def start_outbox(
    settings: Settings,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    doorbell: Doorbell,
    publisher: OutboxPublisher | None = None,
) -> tuple[OutboxRelay, NatsOutboxPublisher | None]:
    """Outbox wiring: the relay, woken by this process's commits, publishing to NATS when configured
    (connecting in the background, so kefu starts and takes writes with NATS down) and otherwise to
    nowhere (rows are marked sent and pruned)."""
    nats_publisher: NatsOutboxPublisher | None = None
    if publisher is None and settings.nats_url:
        nats_publisher = NatsOutboxPublisher(
            settings.nats_url,
            publish_timeout_s=settings.outbox_publish_timeout_s,
            duplicate_window_s=settings.outbox_dedupe_window_s,
        )
        await nats_publisher.start()
        publisher = nats_publisher
    relay = OutboxRelay(
        uow_factory,
        publisher or NoPublisher(),
        clock,
        RelaySettings(
            poll_s=settings.outbox_poll_s,
            batch=settings.outbox_batch,
            retention_s=settings.outbox_retention_s,
            backoff_max_s=settings.outbox_backoff_max_s,
            prune_every_s=min(60.0, max(1.0, settings.outbox_retention_s / 10)),
        ),
        doorbell,
    )
    await relay.start()
    return relay, nats_publisher


def outbox_closers(relay: OutboxRelay, nats_publisher: NatsOutboxPublisher | None) -> list[Any]:
    """Closed in reverse: the relay stops before its NATS connection closes."""
    return [nats_publisher.close, relay.stop] if nats_publisher is not None else [relay.stop]


async def start_care(bus: MessageBus, run_scheduler: bool) -> Scheduler | None:
    """Care wiring: follow-up rules, callbacks reacting to routing, the knowledge index and the scheduler.

    The index is rebuilt from the database here when this process serves (it is refreshed lazily anyway);
    the scheduler runs where routing runs (``kefu serve``) and in ``kefu worker``."""
    from kefu.services.handlers.callbacks import on_task_assigned  # noqa: PLC0415 - keeps imports light
    from kefu.services.handlers.followups import FollowUps, rules_from_settings  # noqa: PLC0415

    FollowUps(bus, rules_from_settings(bus.settings))

    async def callback_assigned(event: Any) -> None:
        await on_task_assigned(bus.context(SYSTEM_ACTOR), event)

    bus.subscribe(TaskAssigned, callback_assigned)
    if not run_scheduler:
        return None
    async with bus.uow_factory() as uow:
        await bus.knowledge.rebuild(uow)
    scheduler = Scheduler(bus)
    await scheduler.start()
    return scheduler


async def start_screening(
    bus: MessageBus, redis_client: aioredis.Redis | None, notifier: Notifier | None, run_keeper: bool
) -> tuple[ScreeningDesk, HoldKeeper | None]:
    """Screening wiring: counters in Redis when configured (else in memory, rebuilt from the database's
    watchlist and reports), the notifier for family alerts, the desk's commands and reactions, and the
    hold keeper where routing runs."""
    from kefu.adapters.counters import RedisCounterStore  # noqa: PLC0415 - keeps imports light
    from kefu.adapters.notify import RecordingNotifier, WebhookNotifier  # noqa: PLC0415
    from kefu.screening import CounterStore, InMemoryCounterStore  # noqa: PLC0415
    from kefu.services.handlers import cases  # noqa: PLC0415

    counters: CounterStore
    if redis_client is not None:
        counters = RedisCounterStore(redis_client, prefix=bus.settings.counters_prefix)
    else:
        memory = InMemoryCounterStore()
        async with bus.uow_factory() as uow:
            listed, reports = await uow.fraud.reputation()
        for account in listed:
            memory.set_watchlisted(account)
        for account, n in reports.items():
            for _ in range(n):
                memory.add_report(account)
        counters = memory
    if notifier is None:
        url = bus.settings.notify_webhook_url
        notifier = WebhookNotifier(url) if url else RecordingNotifier()
    desk = ScreeningDesk(counters, notifier)
    desk.register(bus.register)
    cases.subscribe(bus, desk)
    keeper: HoldKeeper | None = None
    if run_keeper:
        keeper = HoldKeeper(bus, desk, bus.settings.hold_check_s)
        await keeper.start()
    return desk, keeper


def desk_closers(desk: ScreeningDesk, keeper: HoldKeeper | None) -> list[Any]:
    out: list[Any] = []
    aclose = getattr(desk.notifier, "aclose", None)
    if aclose is not None:
        out.append(aclose)
    if keeper is not None:
        out.append(keeper.stop)
    return out
