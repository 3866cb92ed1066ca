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
from kefu.adapters.bus.nats import NatsPublisher
from kefu.adapters.counters import RedisCounterStore
from kefu.adapters.notify import RecordingNotifier, WebhookNotifier
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.adapters.security.tokens import JwtTokens
from kefu.adapters.store.engine import create_engine, upgrade
from kefu.adapters.store.uow import SqlUnitOfWork
from kefu.config import Settings
from kefu.domain.clock import Clock, SystemClock
from kefu.routing import EngineConfig, Strategy
from kefu.screening import CounterStore, InMemoryCounterStore
from kefu.services import registry
from kefu.services.care.followups import rules_from_settings
from kefu.services.care.scheduler import Scheduler
from kefu.services.messagebus import MessageBus
from kefu.services.ports import EventPublisher, Notifier, PasswordHasher, UnitOfWork, UnitOfWorkFactory
from kefu.services.routing.router import Router
from kefu.services.screening.desk import ScreeningDesk
from kefu.services.screening.holds import HoldKeeper


@dataclass
class Kefu:
    """Everything a running kefu holds; ``close()`` releases it."""

    settings: Settings
    engine: AsyncEngine | None  # None: the in-memory store (unit tests)
    bus: MessageBus
    publisher: EventPublisher
    local_bus: InProcessBus
    redis: aioredis.Redis | None = None
    router: Router | None = None
    scheduler: Scheduler | None = None
    _closers: list[Any] = field(default_factory=list)
    screening: ScreeningDesk | None = None  # the anti-fraud desk: counters, notifier, rule set
    holds: HoldKeeper | None = None  # settles expired holds (where routing runs)

    async def health(self) -> dict[str, str]:
        """State of each backing service: ``ok`` or a short reason."""
        state: dict[str, str] = {}
        try:
            if self.engine is not None:
                async with self.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            state["database"] = "ok"
        except Exception as exc:
            state["database"] = f"down: {type(exc).__name__}"
        state["bus"] = "ok" if await self.publisher.healthy() else "down"
        if self.redis is not None:
            try:
                await self.redis.ping()
                state["redis"] = "ok"
            except Exception as exc:
                state["redis"] = f"down: {type(exc).__name__}"
        return state

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
    store: UnitOfWorkFactory | None = None,
) -> Kefu:
    """Build a ready kefu. ``migrate`` applies pending migrations first (``kefu serve`` does); ``routing``
    starts this process's routing engine (one-shot CLI commands leave it off: their tasks are saved and
    the serving process routes them). ``store`` replaces the database with another unit-of-work factory
    (the shipped in-memory one, for unit tests)."""
    engine: AsyncEngine | None = None
    closers: list[Any] = []
    uow_factory: UnitOfWorkFactory
    if store is not None:
        uow_factory = store
    else:
        engine = create_engine(settings.database_url, schema=database_schema or settings.database_schema)
        closers.append(engine.dispose)
        if migrate:
            await upgrade(engine)
        uow_factory = sql_unit_of_work(
            async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
        )

    # This process's live views (SSE streams) hear every committed event through the local bus; other
    # processes hear them from NATS, fed by the outbox relay, never from the write path.
    local = publisher if isinstance(publisher, InProcessBus) else InProcessBus()
    closers.append(local.close)
    chosen: EventPublisher = local
    if settings.nats_url:
        nats_publisher = NatsPublisher(settings.nats_url)
        await nats_publisher.connect()
        closers.append(nats_publisher.close)
        chosen = nats_publisher
    redis_client: aioredis.Redis | None = None
    if settings.redis_url:
        redis_client = aioredis.from_url(settings.redis_url)
        closers.append(redis_client.aclose)
    bus = MessageBus(
        uow_factory=uow_factory,
        clock=clock or SystemClock(),
        settings=settings,
        hasher=hasher or Argon2Hasher(),
        tokens=JwtTokens(settings.secret.get_secret_value()),
        listeners=local,
    )
    desk, chosen_notifier = await screening_desk(bus, redis_client, notifier)
    closers.extend(notifier_closers(chosen_notifier))
    registry.register(bus, desk, chosen_notifier, rules_from_settings(settings))
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
    scheduler: Scheduler | None = None
    keeper: HoldKeeper | None = None
    if routing:
        async with bus.uow_factory() as uow:
            await bus.knowledge.rebuild(uow)
        scheduler = Scheduler(bus)
        await scheduler.start()
        closers.append(scheduler.stop)
        keeper = HoldKeeper(bus, settings.hold_check_s)
        await keeper.start()
        closers.append(keeper.stop)
    kefu = Kefu(settings, engine, bus, chosen, local, redis_client, router, scheduler, closers)
    kefu.screening, kefu.holds = desk, keeper
    return kefu


def sql_unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> UnitOfWorkFactory:
    def uow_factory() -> UnitOfWork:
        return SqlUnitOfWork(sessions)

    return uow_factory


async def screening_desk(
    bus: MessageBus, redis_client: aioredis.Redis | None, notifier: Notifier | None
) -> tuple[ScreeningDesk, Notifier]:
    """Screening's collaborators: counters in Redis when configured (else in memory, rebuilt from the
    database's watchlist and reports) and the notifier for family alerts."""
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
    return ScreeningDesk(counters, notifier), notifier


def notifier_closers(notifier: Notifier) -> list[Any]:
    aclose = getattr(notifier, "aclose", None)
    return [] if aclose is None else [aclose]
