"""The bus: one handler a command, typed results, reactions in causal order, failures contained."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import ClassVar

import pytest
import pytest_asyncio

from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.memory.testing import FakeWorld
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.adapters.security.tokens import JwtTokens
from kefu.bootstrap import Kefu, bootstrap
from kefu.care import commands as care
from kefu.config import load_settings
from kefu.domain import commands as c
from kefu.domain import events as ev
from kefu.domain.commands import Command
from kefu.domain.errors import Unavailable
from kefu.domain.events import Event
from kefu.domain.users import SYSTEM_ACTOR
from kefu.services.context import Context
from kefu.services.messagebus import MessageBus


@dataclass(frozen=True, slots=True)
class Said(Event):
    name: ClassVar[str] = "test.said"
    word: str


@dataclass(frozen=True, slots=True)
class Say(Command[int]):
    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Fail(Command[None]):
    word: str


async def say(cmd: Say, ctx: Context) -> int:
    async with ctx.uow:
        for word in cmd.words:
            ctx.uow.emit(Said(word))
        await ctx.uow.commit()
    return len(cmd.words)


async def fail(cmd: Fail, ctx: Context) -> None:
    async with ctx.uow:
        ctx.uow.emit(Said(cmd.word))
        raise ValueError("the handler fails before it commits")


@pytest.fixture
def world() -> FakeWorld:
    return FakeWorld()


@pytest.fixture
def listeners() -> InProcessBus:
    return InProcessBus()


@pytest.fixture
def bus(world: FakeWorld, listeners: InProcessBus) -> MessageBus:
    settings = load_settings()
    out = MessageBus(
        world.uow_factory,
        world.clock,
        settings,
        Argon2Hasher(fast=True),
        JwtTokens(settings.secret.get_secret_value()),
        listeners=listeners,
    )
    out.register(Say, say)
    out.register(Fail, fail)
    return out


def heard(listeners: InProcessBus) -> list[str]:
    return [e.word for e in listeners.published if isinstance(e, Said)]


async def test_a_command_returns_its_handlers_result_and_its_events_reach_listeners(
    bus: MessageBus, listeners: InProcessBus, world: FakeWorld
) -> None:
    """The handler's result comes back typed; the committed events are in the outbox and reach listeners."""
    assert await bus.handle(Say(("一", "二")), SYSTEM_ACTOR) == 2
    assert heard(listeners) == ["一", "二"]
    world.assert_events(Said("一"), Said("二"))


async def test_reactions_run_after_every_cause_is_published(bus: MessageBus, listeners: InProcessBus) -> None:
    """A reaction's command is queued behind the events that caused it: causes reach listeners first."""

    async def echo(event: Said) -> None:
        if event.word in {"a", "b"}:
            await bus.handle(Say((event.word.upper(),)), SYSTEM_ACTOR)

    bus.subscribe(Said, echo)
    await bus.handle(Say(("a", "b")), SYSTEM_ACTOR)
    assert heard(listeners) == ["a", "b", "A", "B"]


async def test_a_failing_reaction_is_contained(bus: MessageBus, listeners: InProcessBus) -> None:
    """One reaction that raises does not stop the others, nor turn the caller's success into an error."""
    seen: list[str] = []

    async def broken(event: Said) -> None:
        raise RuntimeError("projection broke")

    async def fine(event: Said) -> None:
        seen.append(event.word)

    bus.subscribe(Said, broken)
    bus.subscribe(Said, fine)
    assert await bus.handle(Say(("x",)), SYSTEM_ACTOR) == 1
    assert seen == ["x"]


async def test_a_failed_command_publishes_nothing(
    bus: MessageBus, listeners: InProcessBus, world: FakeWorld
) -> None:
    """A handler that raises before commit leaves no event in the outbox and none reaches a listener."""
    with pytest.raises(ValueError, match="before it commits"):
        await bus.handle(Fail("lost"), SYSTEM_ACTOR)
    assert heard(listeners) == []
    world.assert_no_events()


async def test_the_relay_is_rung_once_per_command_that_committed_events(bus: MessageBus) -> None:
    """Every command that committed events wakes the relay once (its reactions' commands too); a command
    that failed, or committed none, wakes nothing."""
    rings: list[int] = []
    bus.on_commit.append(lambda: rings.append(1))
    await bus.handle(Say(("一", "二")), SYSTEM_ACTOR)
    assert rings == [1]
    await bus.handle(Say(()), SYSTEM_ACTOR)
    with pytest.raises(ValueError, match="before it commits"):
        await bus.handle(Fail("lost"), SYSTEM_ACTOR)
    assert rings == [1]


async def test_one_handler_per_command(bus: MessageBus) -> None:
    """A second handler for one command is a wiring error; a command nobody handles here is a clear 503."""
    with pytest.raises(TypeError, match="already has a handler"):
        bus.register(Say, say)

    @dataclass(frozen=True, slots=True)
    class Nobody(Command[None]):
        pass

    with pytest.raises(Unavailable) as caught:
        await bus.handle(Nobody(), SYSTEM_ACTOR)
    assert caught.value.status == 503


async def test_a_task_started_inside_a_batch_delivers_its_own_events(
    bus: MessageBus, listeners: InProcessBus
) -> None:
    """Work a reaction spawns in its own asyncio task never queues into a batch that already drained."""
    spawned: list[asyncio.Task[int]] = []

    async def spawn(event: Said) -> None:
        if event.word == "start":
            spawned.append(asyncio.create_task(bus.handle(Say(("later",)), SYSTEM_ACTOR)))

    bus.subscribe(Said, spawn)
    await bus.handle(Say(("start",)), SYSTEM_ACTOR)
    await asyncio.gather(*spawned)
    assert heard(listeners) == ["start", "later"]


# --- the events the callback handlers used to commit and never publish --------------------------------------


@pytest_asyncio.fixture
async def centre(world: FakeWorld, listeners: InProcessBus) -> AsyncIterator[Kefu]:
    instance = await bootstrap(
        load_settings(),
        clock=world.clock,
        hasher=Argon2Hasher(fast=True),
        publisher=listeners,
        store=world.uow_factory,
    )
    try:
        yield instance
    finally:
        await instance.close()


async def test_accepting_a_kept_place_publishes_the_callback_and_the_assignment(
    centre: Kefu, world: FakeWorld, listeners: InProcessBus
) -> None:
    """An agent accepting a keep-your-place callback publishes CallbackChanged and ConversationAssigned."""
    bus = centre.bus
    customer = await bus.handle(c.CreateCustomer("kp", "客户", phone="13800000000"), SYSTEM_ACTOR)
    voice = await bus.handle(
        c.OpenConversation(customer.id, "payments", "voice", text="付款被扣了两次"), SYSTEM_ACTOR
    )
    world.clock.advance(centre.settings.callback_offer_s + 1)  # type: ignore[attr-defined]
    record = await bus.handle(care.TakeCallbackInstead(voice.id, "13900000000"), SYSTEM_ACTOR)
    agent = await bus.handle(
        c.CreateAgent("坐席", "chongqing", {"payments": 3}, {"chat": 2, "voice": 1, "callback": 1}),
        SYSTEM_ACTOR,
    )
    await bus.handle(c.SetPresence(agent.id, "available"), SYSTEM_ACTOR)
    assert centre.router is not None
    offer = next(o for o in centre.router.engine.offers_for(agent.id))
    listeners.published.clear()
    await bus.handle(c.AcceptOffer(offer.offer_id), SYSTEM_ACTOR)
    names = [e.name for e in listeners.published]
    assert names.index("task.assigned") < names.index("callback.changed")
    changed = [e for e in listeners.published if isinstance(e, ev.CallbackChanged)]
    assert [(e.callback_id, e.change) for e in changed] == [(record.id, "attempt_started")]
    assigned = [e for e in listeners.published if isinstance(e, ev.ConversationAssigned)]
    assert [(e.conversation_id, e.agent_id) for e in assigned] == [(voice.id, agent.id)]
