"""The conversation state machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.domain.conversations import Conversation, Message, can, initial_priority
from kefu.domain.errors import IllegalTransition

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
ACTIONS = ("assign", "resolve", "close", "abandon", "post", "escalate", "solve")
TERMINAL = {"closed", "abandoned"}


def fresh(status: str = "queued") -> Conversation:
    return Conversation("c1", "cust", "payments", "chat", "payments", 0, status, T0, T0)  # type: ignore[arg-type]


def act(conv: Conversation, action: str, now: datetime) -> None:
    if action == "assign":
        conv.assign("a1", now)
    elif action == "resolve":
        conv.resolve("explained", None, now)
    elif action == "close":
        conv.close(now)
    elif action == "abandon":
        conv.abandon(now)
    elif action == "escalate":
        conv.escalate(now)
    elif action == "solve":
        conv.solve(now)
    else:
        conv.post(Message(f"m{now.timestamp()}", conv.id, "agent", "hi", now))


@given(st.sampled_from(("queued", "self_service")), st.lists(st.sampled_from(ACTIONS), max_size=25))
def test_only_legal_steps_change_state(start: str, actions: list[str]) -> None:
    """Each action follows the table, or raises IllegalTransition and leaves the conversation as it was."""
    conv = fresh(start)
    now = T0
    for action in actions:
        now += timedelta(seconds=1)
        before = (conv.status, conv.agent_id, len(conv.messages), conv.updated_at)
        legal = can(conv.status, action)  # type: ignore[arg-type]
        if legal:
            act(conv, action, now)
            assert conv.updated_at == now
        else:
            with pytest.raises(IllegalTransition):
                act(conv, action, now)
            assert (conv.status, conv.agent_id, len(conv.messages), conv.updated_at) == before
        if before[0] in TERMINAL:
            assert conv.status == before[0]


def test_happy_path_records_when_each_step_happened() -> None:
    """assign, first agent message, resolve and close each stamp their time."""
    conv = fresh()
    conv.assign("a1", T0 + timedelta(seconds=5))
    conv.post(Message("m1", "c1", "agent", "您好", T0 + timedelta(seconds=9)))
    conv.post(Message("m2", "c1", "agent", "还在吗", T0 + timedelta(seconds=30)))
    conv.resolve("explained", "note", T0 + timedelta(seconds=60))
    conv.close(T0 + timedelta(seconds=61))
    assert conv.assigned_at == T0 + timedelta(seconds=5)
    assert conv.first_response_at == T0 + timedelta(seconds=9)
    assert conv.resolved_at == T0 + timedelta(seconds=60)
    assert conv.closed_at == T0 + timedelta(seconds=61)
    assert conv.status == "closed"


def test_resolving_twice_is_a_conflict_that_names_the_state() -> None:
    """The 409 message tells the caller what state the conversation is in."""
    conv = fresh()
    conv.assign("a1", T0)
    conv.resolve("done", None, T0)
    with pytest.raises(IllegalTransition) as err:
        conv.resolve("again", None, T0)
    assert err.value.status == 409
    assert "resolved" in err.value.detail


def test_care_customers_jump_ahead() -> None:
    """Elderly or vulnerable customers start with a higher priority than everyone else."""
    assert initial_priority(True) > initial_priority(False) == 0


def test_self_service_hands_over_or_settles() -> None:
    """Self-service joins the queue when escalated, or is resolved when the customer solves it."""
    handed = fresh("self_service")
    handed.escalate(T0 + timedelta(seconds=3))
    assert handed.status == "queued"
    assert can("queued", "assign")
    solved = fresh("self_service")
    solved.solve(T0 + timedelta(seconds=4))
    assert (solved.status, solved.disposition, solved.resolved_at) == (
        "resolved",
        "self_service",
        T0 + timedelta(seconds=4),
    )
    assert not can("queued", "escalate")
    assert not can("assigned", "solve")


def test_a_transfer_goes_back_to_the_queue_and_keeps_the_first_answer() -> None:
    """assigned → transfer → queued with no agent; the next assignment keeps the first assigned_at."""
    conversation = fresh()
    conversation.assign("a-1", T0)
    conversation.transfer("elderly_care", T0 + timedelta(minutes=3))
    assert (conversation.status, conversation.agent_id, conversation.queue) == (
        "queued",
        None,
        "elderly_care",
    )
    conversation.assign("a-2", T0 + timedelta(minutes=4))
    assert (conversation.agent_id, conversation.assigned_at) == ("a-2", T0)
