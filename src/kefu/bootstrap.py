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
from kefu.services.ports import EventPublisher, Notifier, PasswordHasher, UnitOfWork
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

    async def health(self) -> dict[str, str]:
        """State of each backing service: ``ok`` or a short reason."""
        state: dict[str, str] = {}
        try:
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


class _FanOut:
    """Publish to the local bus (live views in this process) and to NATS (everyone else)."""

    def __init__(self, local: InProcessBus, remote: NatsPublisher) -> None:
        self.local = local
        self.remote = remote

    async def publish(self, events: Any) -> None:
        await self.local.publish(events)
        await self.remote.publish(events)

    async def healthy(self) -> bool:
        return await self.remote.healthy()


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
) -> Kefu:
    """Build a ready kefu. ``migrate`` applies pending migrations first (``kefu serve`` does); ``routing``
    starts this process's routing engine (one-shot CLI commands leave it off: their tasks are saved and
    the serving process routes them)."""
    engine = create_engine(settings.database_url, schema=database_schema or settings.database_schema)
    closers: list[Any] = [engine.dispose]
    if migrate:
        await upgrade(engine)
    sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)

    def uow_factory() -> UnitOfWork:
        return SqlUnitOfWork(sessions)

    local = InProcessBus()
    closers.append(local.close)
    chosen: EventPublisher
    if publisher is not None:
        chosen = publisher
    elif settings.nats_url:
        nats_publisher = NatsPublisher(settings.nats_url)
        await nats_publisher.connect()
        closers.append(nats_publisher.close)
        chosen = _FanOut(local, nats_publisher)
    else:
        chosen = local
    redis_client: aioredis.Redis | None = None
    if settings.redis_url:
        redis_client = aioredis.from_url(settings.redis_url)
        closers.append(redis_client.aclose)
    clock = clock or SystemClock()
    bus = MessageBus(
        uow_factory=uow_factory,
        publisher=chosen,
        clock=clock,
        settings=settings,
        hasher=hasher or Argon2Hasher(),
        tokens=JwtTokens(settings.secret.get_secret_value(), clock),
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
    return kefu


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
