"""A whole kefu on the shipped memory store, for handler unit tests: every test goes through ``bus.handle``.

``centre`` is bootstrapped on a ``FakeWorld`` (memory store, clock, unit-of-work factory) with the routing
engine, the scheduler and the hold keeper built but not started: nothing runs in the background, and a test
moves time with the clock and issues the periodic jobs' commands itself (``TickRouting``, a scheduler pass,
a hold keeper round). The ``clock`` fixture runs each test twice: on a frozen ``FakeClock`` and on an
advancing one (time moves on every read, as in a running server).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import pytest
import pytest_asyncio

from kefu.adapters.memory.store import MemoryStore
from kefu.adapters.memory.testing import FakeWorld
from kefu.adapters.notify import RecordingNotifier
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.bootstrap import Kefu, bootstrap
from kefu.care.records import CallbackRecord
from kefu.config import load_settings
from kefu.domain import commands as c
from kefu.domain.agents import Agent
from kefu.domain.clock import AdvancingClock, FakeClock
from kefu.domain.commands import Command
from kefu.domain.customers import Customer, TrustedContact
from kefu.domain.users import SYSTEM_ACTOR, Actor
from kefu.services.care.scheduler import Scheduler
from kefu.services.messagebus import MessageBus
from kefu.services.ports import Dialer, PaymentWebhook
from kefu.services.routing.router import Router, TickRouting, engine_config
from kefu.services.screening.holds import HoldKeeper

R = TypeVar("R")

# A Monday, 02:00 UTC = 10:00 in Beijing: far from midnight in either zone and outside the night rules.
START = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
# Elderly (60 and over) on START and on any day after it; 40 on START.
ELDERLY_BIRTH = date(1946, 3, 1)
ADULT_BIRTH = date(1985, 6, 1)
PASSWORD = "s3cret-pass"


@pytest.fixture(params=["frozen", "advancing"])
def clock(request: pytest.FixtureRequest) -> FakeClock:
    """A frozen clock, then an advancing one: code that needs two reads to agree fails on the second."""
    if request.param == "frozen":
        return FakeClock(START)
    return AdvancingClock(START)


@pytest.fixture
def world(clock: FakeClock) -> FakeWorld:
    """The memory store, seeded like a migrated database (sites, start queues), on the test's clock."""
    return FakeWorld(clock=clock)


SETTINGS: dict[str, Any] = {
    "offer_timeout_s": 20,
    "wrap_up_s": 0,
    "hold_s": 3600,
    "recontact_s": 300,
    "rules_check_s": 0,
    "callback_offer_s": 120,
}


@dataclass
class Centre:
    """A kefu on the memory store, and helpers that make its people through the bus."""

    kefu: Kefu
    world: FakeWorld
    router: Router
    scheduler: Scheduler
    keeper: HoldKeeper
    notifier: RecordingNotifier

    @property
    def bus(self) -> MessageBus:
        return self.kefu.bus

    @property
    def clock(self) -> FakeClock:
        clock = self.world.clock
        assert isinstance(clock, FakeClock)
        return clock

    @property
    def store(self) -> MemoryStore:
        return self.world.store

    async def handle(self, command: Command[R], actor: Actor = SYSTEM_ACTOR) -> R:
        return await self.bus.handle(command, actor)

    async def actor(self, username: str, role: str) -> Actor:
        user = await self.handle(c.CreateUser(username, PASSWORD, role))  # type: ignore[arg-type]
        return Actor(user.id, user.username, user.role)

    async def customer(
        self,
        external_id: str = "ext-1",
        *,
        elderly: bool = False,
        trusted_contact: bool = False,
        **more: Any,
    ) -> Customer:
        contact = TrustedContact("王芳", "+8613800000002", "daughter") if trusted_contact else None
        return await self.handle(
            c.CreateCustomer(
                external_id,
                "张三",
                phone="+8613800000001",
                birth_date=ELDERLY_BIRTH if elderly else ADULT_BIRTH,
                trusted_contact=contact,
                **more,
            )
        )

    async def agent(
        self,
        name: str,
        skills: dict[str, int],
        capacity: dict[str, int] | None = None,
        *,
        site: str = "shenzhen",
        available: bool = True,
    ) -> tuple[Agent, Actor]:
        """An agent record worked by a login of its own (role ``agent``), available unless told."""
        actor = await self.actor(name, "agent")
        agent = await self.handle(
            c.CreateAgent(name, site, skills, capacity or {"chat": 2, "voice": 1, "callback": 1}, name)
        )
        if available:
            agent = await self.handle(c.SetPresence(agent.id, "available"), actor)
        return agent, actor

    async def tick(self, seconds: float = 0) -> None:
        """Move time on and run the routing engine's due work (offer expiries, escalations)."""
        self.clock.advance(seconds)
        await self.handle(TickRouting())

    async def callback(self, callback_id: str) -> CallbackRecord:
        """The callback as stored (read through a unit of work, like the handlers do)."""
        async with self.world.uow_factory() as uow:
            record = await uow.callbacks.get(callback_id)
        assert record is not None
        return record

    def pending_offers(self, agent_id: str | None = None) -> list[Any]:
        return [
            o
            for o in self.store.rows("offers")
            if o.status == "pending" and (agent_id is None or o.agent_id == agent_id)
        ]


@asynccontextmanager
async def running_centre(
    world: FakeWorld,
    *,
    payment_webhook: PaymentWebhook | None = None,
    dialer: Dialer | None = None,
    **settings: Any,
) -> AsyncIterator[Centre]:
    """``bootstrap`` on the world's store with routing built here and no background loop started; fakes of
    the payments gateway and the telephony platform may be given."""
    chosen = load_settings(**{**SETTINGS, **settings})
    notifier = RecordingNotifier()
    kefu = await bootstrap(
        chosen,
        clock=world.clock,
        hasher=Argon2Hasher(fast=True),
        store=world.uow_factory,
        notifier=notifier,
        routing=False,
        payment_webhook=payment_webhook,
        dialer=dialer,
    )
    router = Router(kefu.bus, engine_config(chosen), care_home_s=chosen.care_home_s)
    await router.rebuild()
    kefu.router = router
    try:
        yield Centre(
            kefu, world, router, Scheduler(kefu.bus, "test-scheduler"), HoldKeeper(kefu.bus, 1), notifier
        )
    finally:
        await kefu.close()


@pytest_asyncio.fixture
async def centre(world: FakeWorld) -> AsyncIterator[Centre]:
    """A kefu on the memory world; what setting it up committed is already taken from the outbox."""
    async with running_centre(world) as made:
        world.take_events()
        yield made


def names(world: FakeWorld) -> list[str]:
    """The names of the events committed since the last check (and takes them)."""
    return [name for name, _ in world.take_events()]
