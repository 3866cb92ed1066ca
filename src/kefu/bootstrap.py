"""One place that wires kefu together: settings, store, bus, counters, security, clock.

The API, the CLI, the simulator and the tests all start here; tests pass fakes or real services into the
same function instead of building their own wiring.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from kefu.adapters.bus.cluster import (
    NatsConnection,
    NatsEventFeed,
    NatsRoutingLink,
    NatsRoutingServer,
)
from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.bus.nats import NatsOutboxPublisher
from kefu.adapters.counters import RedisCounterStore
from kefu.adapters.notify import (
    RecordingNotifier,
    SignedPaymentWebhook,
    TelLinkDialer,
    WebhookDialer,
    WebhookNotifier,
)
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.adapters.security.throttle import LimitsLoginThrottle, tiers
from kefu.adapters.security.throttle import storage_for as throttle_storage
from kefu.adapters.security.tickets import UsedTickets
from kefu.adapters.security.tokens import JwtTokens
from kefu.adapters.store.engine import create_engine, upgrade
from kefu.adapters.store.uow import SqlUnitOfWork
from kefu.config import Settings
from kefu.domain.clock import Clock, SystemClock
from kefu.domain.errors import ConfigurationError
from kefu.screening import CounterStore, InMemoryCounterStore
from kefu.services import registry
from kefu.services.care.followups import rules_from_settings
from kefu.services.care.scheduler import Scheduler
from kefu.services.messagebus import MessageBus
from kefu.services.outbox import (
    Doorbell,
    NoPublisher,
    OutboxPublisher,
    OutboxRelay,
    RelaySettings,
    outbox_lag_s,
)
from kefu.services.periodic import AuditCheckpointer
from kefu.services.ports import (
    Dialer,
    EventPublisher,
    Notifier,
    PasswordHasher,
    PaymentWebhook,
    UnitOfWork,
    UnitOfWorkFactory,
)
from kefu.services.routing.node import RouterNode
from kefu.services.routing.partitions import ALL, parse_partitions
from kefu.services.routing.remote import RemoteRouting, RoutingView, answer
from kefu.services.routing.router import Router, engine_config
from kefu.services.screening.desk import ScreeningDesk
from kefu.services.screening.gateway import WebhookDispatcher
from kefu.services.screening.holds import HoldKeeper
from kefu.services.screening.replay import replay_counters

log = structlog.get_logger("kefu.bootstrap")


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
    outbox: OutboxRelay | None = None  # publishes the outbox (where routing runs, and in kefu worker)
    nats: NatsOutboxPublisher | None = None  # the relay's NATS connection, when KEFU_NATS_URL is set
    webhooks: WebhookDispatcher | None = None  # sends payment status webhooks (where the relay runs)
    used_tickets: UsedTickets = field(default_factory=UsedTickets)  # stream tickets already spent
    # What the API asks about routing: this process's router, or (an API node) the partitions' routers.
    routing: RoutingView | None = None
    node: RouterNode | None = None  # ``kefu router``: the lease and the engine it guards

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
    store: UnitOfWorkFactory | None = None,
    relay: bool | None = None,
    outbox_publisher: OutboxPublisher | None = None,
    dialer: Dialer | None = None,
    payment_webhook: PaymentWebhook | None = None,
) -> Kefu:
    """Build a ready kefu. ``migrate`` applies pending migrations first (``kefu serve`` does); ``routing``
    starts this process's routing engine (one-shot CLI commands leave it off: their tasks are saved and
    the serving process routes them). ``store`` replaces the database with another unit-of-work factory
    (the shipped in-memory one, for unit tests). ``relay`` runs the outbox relay here (default: where
    routing runs; ``kefu worker`` asks for it); ``outbox_publisher`` replaces NATS as where it publishes."""
    clock = clock or SystemClock()
    engine: AsyncEngine | None = None
    closers: list[Any] = []
    uow_factory: UnitOfWorkFactory
    if store is not None:
        uow_factory = store
    else:
        engine = create_engine(
            settings.database_url,
            schema=database_schema or settings.database_schema,
            timeout_s=settings.dependency_timeout_s,
            statement_timeout_s=settings.db_statement_timeout_s,
        )
        closers.append(engine.dispose)
        if migrate:
            await upgrade(engine)
        uow_factory = sql_unit_of_work(
            async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False), clock
        )
    # This process's live views (SSE streams) and reactions hear every committed event in process; other
    # processes hear them from NATS, fed by the outbox relay, never from the write path.
    local = publisher if isinstance(publisher, InProcessBus) else InProcessBus()
    closers.append(local.close)
    redis_client: aioredis.Redis | None = None
    if settings.redis_url:
        # Bounded waits: a Redis that is down or hung answers the request 503 in about a second.
        redis_client = aioredis.from_url(
            settings.redis_url,
            socket_timeout=settings.dependency_timeout_s,
            socket_connect_timeout=settings.dependency_timeout_s,
        )
        closers.append(redis_client.aclose)
    bus = MessageBus(
        uow_factory=uow_factory,
        clock=clock,
        settings=settings,
        hasher=hasher or Argon2Hasher(),
        tokens=JwtTokens(settings.secret.get_secret_value(), clock),
        listeners=local,
    )
    desk, chosen_notifier = await screening_desk(bus, redis_client, notifier)
    closers.extend(notifier_closers(chosen_notifier))
    payment_webhook, chosen_dialer = gateway_adapters(settings, clock, dialer, payment_webhook)
    closers.extend([*notifier_closers(payment_webhook), *notifier_closers(chosen_dialer)])
    registry.register(
        bus,
        desk,
        chosen_notifier,
        rules_from_settings(settings),
        payment_webhook,
        chosen_dialer,
        login_throttle(settings, redis_client),
    )
    doorbell = Doorbell()  # rung after every commit that wrote events: the relay publishes at once
    bus.on_commit.append(doorbell.ring)
    router: Router | None = None
    scheduler: Scheduler | None = None
    keeper: HoldKeeper | None = None
    if routing:
        router = Router(bus, engine_config(settings), care_home_s=settings.care_home_s)
        await router.start()
        closers.append(router.stop)
        async with bus.uow_factory() as uow:
            await bus.knowledge.rebuild(uow)
        scheduler = Scheduler(bus)
        await scheduler.start()
        closers.append(scheduler.stop)
        keeper = HoldKeeper(bus, settings.hold_check_s)
        await keeper.start()
        closers.append(keeper.stop)
    kefu = Kefu(
        settings, engine, bus, local, local, redis_client, router, scheduler, closers,
        used_tickets=UsedTickets(redis_client),
    )  # fmt: skip
    kefu.screening, kefu.holds, kefu.routing = desk, keeper, router
    run_relay = routing if relay is None else relay
    if run_relay:
        kefu.outbox, kefu.nats = await start_outbox(settings, uow_factory, clock, doorbell, outbox_publisher)
        closers.extend([*outbox_closers(kefu.outbox, kefu.nats), await start_checkpointer(bus)])
    if payment_webhook is not None:
        kefu.webhooks = await start_webhooks(bus, closers, background=run_relay)
    return kefu


async def start_checkpointer(bus: MessageBus) -> Any:
    """Signed daily audit checkpoints without cron, wherever the relay runs (serve, every worker); returns
    the closer that stops it."""
    checkpointer = AuditCheckpointer(bus, bus.settings.audit_checkpoint_check_s)
    await checkpointer.start()
    return checkpointer.stop


ROLES = ("api", "router", "worker")


async def bootstrap_role(
    settings: Settings, role: str, *, partition: str = ALL, holder: str | None = None
) -> Kefu:
    """A kefu for one role of a cluster (docs/operations.md, "Cluster"), on PostgreSQL and NATS.

    ``api``: no engine; routing commands and questions go to the partitions' routers over NATS, and the
    live streams show the events every process committed (from NATS, not this process's own). ``router``:
    the engine of ``partition``, active only while this process holds the partition's lease. ``worker``:
    the scheduler's process, whose commits reach the routers like an API node's."""
    if role not in ROLES:
        raise ConfigurationError(f"unknown role {role!r}; choose from {', '.join(ROLES)}")
    if not settings.nats_url:
        raise ConfigurationError(f"the {role} role needs KEFU_NATS_URL: the roles talk over NATS")
    partitions = parse_partitions(settings.partitions)
    partitions.queues(partition)  # refuses an unknown partition before anything starts
    kefu = await bootstrap(settings, routing=False, relay=True)
    connection = NatsConnection(settings.nats_url, f"kefu-{role}")
    await connection.start()
    kefu._closers.append(connection.close)
    prefix = settings.nats_prefix
    if role in ("api", "worker"):
        link = NatsRoutingLink(connection, prefix)
        kefu.routing = RemoteRouting(kefu.bus, link, partitions, settings.router_request_timeout_s)
    if role == "api":
        async with kefu.bus.uow_factory() as uow:
            await kefu.bus.knowledge.rebuild(uow)
        # The streams hear every process's events from NATS, this node's own included, so not twice.
        kefu.bus.listeners = _Unheard()
        feed = NatsEventFeed(connection, prefix, kefu.local_bus)
        await feed.start()
        kefu._closers.append(feed.close)
    if role == "router":
        router = Router(
            kefu.bus,
            engine_config(settings),
            care_home_s=settings.care_home_s,
            owns=lambda queue_id: partitions.of(queue_id) == partition,
        )
        server = NatsRoutingServer(connection, prefix, partition)

        async def gain() -> None:
            await server.open(lambda payload: answer(router, kefu.bus, payload))

        node = RouterNode(router, partition, holder or _holder(), settings.router_lease_s, gain, server.close)
        kefu.router, kefu.routing, kefu.node = router, router, node
        await node.start()
        kefu._closers.append(node.stop)
    return kefu


def _holder() -> str:
    import os  # noqa: PLC0415 - only routers name themselves
    import socket  # noqa: PLC0415

    return f"{socket.gethostname()}:{os.getpid()}"


class _Unheard:
    async def publish(self, events: Any) -> None:
        del events


def login_throttle(settings: Settings, redis_client: aioredis.Redis | None) -> LimitsLoginThrottle:
    """Sign-in limits per account and per client address, shared through Redis when kefu has one."""
    return LimitsLoginThrottle(
        throttle_storage(redis_client),
        account=tiers(settings.login_failures, settings.login_backoff_s, settings.login_lockout_max_s),
        address=tiers(
            settings.login_address_failures, settings.login_backoff_s, settings.login_lockout_max_s
        ),
    )


async def start_webhooks(bus: MessageBus, closers: list[Any], *, background: bool) -> WebhookDispatcher:
    """The payment-webhook dispatcher, built wherever a webhook is configured (tests drive it by hand); it
    runs in the background where the relay does, so ``kefu serve`` and ``kefu worker`` send what any
    process committed."""
    dispatcher = WebhookDispatcher(bus, bus.settings.payment_webhook_check_s)
    if background:
        await dispatcher.start()
        closers.append(dispatcher.stop)
    return dispatcher


def sql_unit_of_work(sessions: async_sessionmaker[AsyncSession], clock: Clock) -> UnitOfWorkFactory:
    def uow_factory() -> UnitOfWork:
        return SqlUnitOfWork(sessions, clock)

    return uow_factory


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
            stream=events_stream(settings.nats_prefix),
            subject_prefix=f"{settings.nats_prefix}.events",
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


def events_stream(prefix: str) -> str:
    """The JetStream stream of a NATS prefix's events: ``KEFU_EVENTS`` for the default prefix ``kefu``."""
    return re.sub(r"[^A-Z0-9_]", "_", prefix.upper()) + "_EVENTS"


def outbox_closers(relay: OutboxRelay, nats_publisher: NatsOutboxPublisher | None) -> list[Any]:
    """Closed in reverse: the relay stops before its NATS connection closes."""
    return [nats_publisher.close, relay.stop] if nats_publisher is not None else [relay.stop]


async def screening_desk(
    bus: MessageBus, redis_client: aioredis.Redis | None, notifier: Notifier | None
) -> tuple[ScreeningDesk, Notifier]:
    """Screening's collaborators: counters in Redis when configured (else in memory, rebuilt from the
    database's watchlist, reports and the last week of screenings) and the notifier for family alerts."""
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
        replayed = await replay_counters(bus.uow_factory, memory, bus.clock.now())
        log.info(
            "screening counters rebuilt",
            screenings=replayed.screenings,
            stops=replayed.stops,
            seconds=round(replayed.seconds, 3),
        )
        counters = memory
    if notifier is None:
        url = bus.settings.notify_webhook_url
        notifier = WebhookNotifier(url) if url else RecordingNotifier()
    return ScreeningDesk(counters, notifier), notifier


def gateway_adapters(
    settings: Settings, clock: Clock, dialer: Dialer | None, payment_webhook: PaymentWebhook | None
) -> tuple[PaymentWebhook | None, Dialer]:
    """The signed payment-status webhook (when ``KEFU_PAYMENT_WEBHOOK_URL`` is set) and the dialer:
    click-to-call when ``KEFU_DIALER_WEBHOOK_URL`` is set, else ``tel:`` links. Tests pass fakes."""
    if payment_webhook is None and settings.payment_webhook_url and settings.payment_webhook_secret:
        payment_webhook = SignedPaymentWebhook(
            settings.payment_webhook_url, settings.payment_webhook_secret.get_secret_value(), clock
        )
    if dialer is None:
        if settings.dialer_webhook_url and settings.dialer_webhook_secret is not None:
            dialer = WebhookDialer(
                settings.dialer_webhook_url, settings.dialer_webhook_secret.get_secret_value(), clock
            )
        else:
            dialer = TelLinkDialer()
    return payment_webhook, dialer


def notifier_closers(notifier: object) -> list[Any]:
    aclose = getattr(notifier, "aclose", None)
    return [] if aclose is None else [aclose]
