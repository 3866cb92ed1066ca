"""Quality and reports through the bus: CSAT, commendations (锦旗), complaints and the report rollup."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.domain import commands as c
from kefu.domain.conversations import Conversation
from kefu.domain.errors import AlreadyExists, Forbidden, IllegalTransition, InvalidInput, NotFound
from kefu.domain.quality import (
    CommendationGiven,
    ComplaintChanged,
    ComplaintFiled,
    CsatRecorded,
    FileComplaint,
    GiveCommendation,
    HandleComplaint,
    RecordCsat,
)
from kefu.services.reports.service import RollUpReports
from tests.unit.handlers.conftest import START, Centre


async def _served(centre: Centre) -> tuple[Conversation, str]:
    """A conversation the agent ``li`` resolved; returns it and the agent's id."""
    agent, own = await centre.agent("li", {"games": 3})
    customer = await centre.customer()
    conv = await centre.handle(c.OpenConversation(customer.id, "games", "chat", "退款"))
    (offer,) = centre.pending_offers(agent.id)
    await centre.handle(c.AcceptOffer(offer.id), own)
    resolved = await centre.handle(c.ResolveConversation(conv.id, "refunded"), own)
    centre.world.take_events()
    return resolved, agent.id


async def test_a_resolved_conversation_is_rated_once(centre: Centre) -> None:
    """RecordCsat commits quality.csat_recorded for the agent who served; a second rating is AlreadyExists."""
    conv, agent_id = await _served(centre)
    rating = await centre.handle(RecordCsat(conv.id, 5, "很耐心"))
    centre.world.assert_events(CsatRecorded(conv.id, agent_id, 5, rating.at))
    with pytest.raises(AlreadyExists):
        await centre.handle(RecordCsat(conv.id, 1))
    centre.world.assert_no_events()


async def test_csat_refuses_open_conversations_bad_scores_and_agents(centre: Centre) -> None:
    """Rating a queued one: IllegalTransition; score 9 InvalidInput; agents Forbidden; unknown 404."""
    customer = await centre.customer()
    conv = await centre.handle(c.OpenConversation(customer.id, "games", "chat", "退款"))
    _, agent = await centre.agent("wu", {"social": 3})
    centre.world.take_events()
    with pytest.raises(IllegalTransition):
        await centre.handle(RecordCsat(conv.id, 4))
    with pytest.raises(InvalidInput):
        await centre.handle(RecordCsat(conv.id, 9))
    with pytest.raises(Forbidden):
        await centre.handle(RecordCsat(conv.id, 4), agent)
    with pytest.raises(NotFound):
        await centre.handle(RecordCsat("no-such-conversation", 4))
    centre.world.assert_no_events()


async def test_a_commendation_is_given_to_the_agent_who_served(centre: Centre) -> None:
    """GiveCommendation commits quality.commendation_given; another agent's conversation is refused."""
    conv, agent_id = await _served(centre)
    other, _ = await centre.agent("wu", {"social": 3})
    centre.world.take_events()
    given = await centre.handle(GiveCommendation(agent_id, conv.customer_id, "锦旗：耐心周到", conv.id))
    centre.world.assert_events(CommendationGiven(given.id, agent_id, conv.customer_id, given.at))
    with pytest.raises(InvalidInput):
        await centre.handle(GiveCommendation(other.id, conv.customer_id, "谢谢", conv.id))
    centre.world.assert_no_events()


async def test_a_complaint_is_filed_then_worked_by_a_supervisor(centre: Centre) -> None:
    """FileComplaint commits quality.complaint_filed against the serving agent; HandleComplaint moves it on;
    an agent may not handle it and a finished complaint cannot be handled again."""
    conv, agent_id = await _served(centre)
    sup = await centre.actor("sup", "supervisor")
    _, agent = await centre.agent("wu", {"social": 3})
    centre.world.take_events()
    complaint = await centre.handle(FileComplaint(conv.customer_id, "attitude", "态度差", conv.id), agent)
    centre.world.assert_events(
        ComplaintFiled(complaint.id, conv.customer_id, agent_id, "attitude", complaint.created_at)
    )
    with pytest.raises(Forbidden):
        await centre.handle(HandleComplaint(complaint.id, "uphold"), agent)
    upheld = await centre.handle(HandleComplaint(complaint.id, "uphold", "已核实"), sup)
    centre.world.assert_events(ComplaintChanged(complaint.id, "upheld", upheld.updated_at))
    with pytest.raises(IllegalTransition):
        await centre.handle(HandleComplaint(complaint.id, "reject"), sup)
    with pytest.raises(NotFound):
        await centre.handle(HandleComplaint("no-such-complaint", "reject"), sup)
    with pytest.raises(InvalidInput):
        await centre.handle(FileComplaint(conv.customer_id, "weather", "太冷"))
    centre.world.assert_no_events()


async def test_the_report_rollup_counts_the_hour_and_commits_no_event(centre: Centre) -> None:
    """RollUpReports (admin only) rolls the whole hours up to now into report rows; it emits no event."""
    await _served(centre)
    sup = await centre.actor("sup", "supervisor")
    centre.world.take_events()
    with pytest.raises(Forbidden):
        await centre.handle(RollUpReports(), sup)
    centre.clock.advance(3600)
    summary = await centre.handle(RollUpReports(since=START - timedelta(hours=1)))
    assert summary["until"] == (START + timedelta(hours=1)).isoformat()
    assert summary["rows"] >= 1
    centre.world.assert_no_events()
    assert centre.store.rows("report_hours") != []
