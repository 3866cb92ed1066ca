"""Canned-response handlers on the in-memory store: writes by supervisors only, one shortcut per language,
each change audited and none an event."""

from __future__ import annotations

import pytest

from kefu.domain.canned import CreateCannedResponse, DeleteCannedResponse, UpdateCannedResponse
from kefu.domain.errors import AlreadyExists, Forbidden, InvalidInput, NotFound
from tests.unit.handlers.conftest import Centre


async def test_a_supervisor_keeps_the_list_and_nothing_is_an_event(centre: Centre) -> None:
    """Create, update, delete: the rows follow, the audit log names each change, no event is published."""
    sup = await centre.actor("zhou", "supervisor")
    centre.world.take_events()
    made = await centre.handle(CreateCannedResponse(" Greet ", "问候", "您好，{customer_name}。", "zh"), sup)
    assert (made.shortcut, made.created_by) == ("greet", "zhou")
    centre.clock.advance(30)
    changed = await centre.handle(
        UpdateCannedResponse(made.id, "hi", "问候", "{agent_name}为您服务。", "zh"), sup
    )
    assert (changed.shortcut, changed.created_at) == ("hi", made.created_at)
    assert changed.updated_at > made.updated_at
    await centre.handle(DeleteCannedResponse(made.id), sup)
    assert centre.store.rows("canned_responses") == []
    actions = [e.action for e in centre.store.rows("audit_log") if e.subject_id == made.id]
    assert actions == ["canned.created", "canned.updated", "canned.deleted"]
    centre.world.assert_no_events()


async def test_agents_may_not_write_and_shortcuts_are_checked(centre: Centre) -> None:
    """An agent: Forbidden; a taken shortcut: AlreadyExists; unknown variables: InvalidInput; unknown id."""
    sup = await centre.actor("zhou", "supervisor")
    agent = await centre.actor("li", "agent")
    with pytest.raises(Forbidden):
        await centre.handle(CreateCannedResponse("greet", "问候", "您好", "zh"), agent)
    await centre.handle(CreateCannedResponse("greet", "问候", "您好", "zh"), sup)
    with pytest.raises(AlreadyExists):
        await centre.handle(CreateCannedResponse("greet", "问候", "再次", "zh"), sup)
    await centre.handle(CreateCannedResponse("greet", "Hello", "Hello", "en"), sup)
    with pytest.raises(InvalidInput):
        await centre.handle(CreateCannedResponse("bye", "再见", "再见 {customer}", "zh"), sup)
    with pytest.raises(NotFound):
        await centre.handle(DeleteCannedResponse("nope"), sup)
