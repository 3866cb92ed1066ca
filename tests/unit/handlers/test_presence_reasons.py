"""Presence with a reason: an agent's break (小休) says why — meal, training, meeting — and changing only the
reason is no new presence for routing or the wallboard."""

from __future__ import annotations

import pytest

from kefu.domain import commands as c
from kefu.domain import events as ev
from kefu.domain.errors import InvalidInput
from tests.unit.handlers.conftest import Centre


async def test_a_break_carries_its_reason_and_a_new_reason_is_no_new_presence(centre: Centre) -> None:
    """away(meal) emits one presence change; away(meeting) only changes the reason; available clears it."""
    agent, own = await centre.agent("li", {"social": 3}, available=True)
    centre.world.take_events()
    away = await centre.handle(c.SetPresence(agent.id, "away", "meal"), own)
    assert (away.presence, away.presence_reason) == ("away", "meal")
    assert away.presence_since is not None
    centre.world.assert_events(
        ev.AgentPresenceChanged(agent.id, "shenzhen", "away", "available", away.presence_since)
    )
    centre.clock.advance(60)
    meeting = await centre.handle(c.SetPresence(agent.id, "away", "meeting"), own)
    assert (meeting.presence_reason, meeting.presence_since) == ("meeting", away.presence_since)
    centre.world.assert_no_events()
    back = await centre.handle(c.SetPresence(agent.id, "available"), own)
    assert (back.presence, back.presence_reason) == ("available", None)


async def test_a_reason_goes_with_away_only_and_from_the_list(centre: Centre) -> None:
    """A reason with available, or one outside meal/training/meeting, is InvalidInput and changes nothing."""
    agent, own = await centre.agent("wu", {"social": 3}, available=False)
    centre.world.take_events()
    for presence, reason in (("available", "meal"), ("away", "lunch"), ("away", "missed")):
        with pytest.raises(InvalidInput):
            await centre.handle(c.SetPresence(agent.id, presence, reason), own)  # type: ignore[arg-type]
    centre.world.assert_no_events()
