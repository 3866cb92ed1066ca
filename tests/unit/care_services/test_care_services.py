"""Care service rules without a database: hand-over phrases, retry settings, wake times, index freshness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kefu.care import Article, CallbackState, says_not_helped, says_solved, schedule_callback
from kefu.care.records import CallbackRecord
from kefu.config import load_settings
from kefu.services.care.callbacks import retry_policy
from kefu.services.knowledge import KnowledgeIndex

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["没用", "还是没解决", "看不懂", "that did not help", "still can't pay", "useless"]
)
def test_not_helped_phrases_hand_over(text: str) -> None:
    """A customer saying the answer did not help is recognised in zh and en."""
    assert says_not_helped(text)


@pytest.mark.parametrize("text", ["解决了，谢谢", "好了", "thanks!", "Solved", "that helped"])
def test_solved_phrases_settle(text: str) -> None:
    """A customer saying it is solved is recognised in zh and en, and is not read as "did not help"."""
    assert says_solved(text)
    assert not says_not_helped(text)


def test_a_question_is_neither_solved_nor_unhelped() -> None:
    """A further question neither settles the conversation nor hands it over by itself."""
    assert not says_solved("退款多久到账")
    assert not says_not_helped("退款多久到账")


def test_retry_policy_comes_from_settings() -> None:
    """KEFU_CALLBACK_* settings shape the core's retry policy."""
    policy = retry_policy(load_settings(callback_max_attempts=5, callback_retry_s=120, callback_backoff=2.0))
    assert policy.max_attempts == 5
    assert policy.delay_after(1) == timedelta(minutes=2)
    assert policy.delay_after(3) == timedelta(minutes=8)


def test_wake_time_follows_the_lifecycle() -> None:
    """The scheduler looks at a scheduled callback at its attempt time, at a due one at its window's end."""
    callback, _ = schedule_callback(
        callback_id="cb1",
        customer_id="c1",
        reason="回电",
        window_start=T0 + timedelta(hours=1),
        window_end=T0 + timedelta(hours=3),
        now=T0,
    )
    record = CallbackRecord(callback, "payments", False, T0, T0)
    assert record.wake_at == T0 + timedelta(hours=1)
    from dataclasses import replace  # noqa: PLC0415

    record.callback = replace(callback, state=CallbackState.DUE)
    assert record.wake_at == T0 + timedelta(hours=3)
    record.callback = replace(callback, state=CallbackState.IN_PROGRESS)
    assert record.wake_at is None


class _FakeKnowledge:
    def __init__(self) -> None:
        self.articles: dict[str, Article] = {}
        self.changed: datetime | None = None
        self.loads = 0

    async def fingerprint(self) -> tuple[int, datetime | None]:
        return len(self.articles), self.changed

    async def all(self) -> list[Article]:
        self.loads += 1
        return list(self.articles.values())


class _FakeUow:
    def __init__(self, knowledge: _FakeKnowledge) -> None:
        self.knowledge = knowledge


async def test_the_index_reloads_only_when_another_process_changed_the_table() -> None:
    """An unchanged table costs one fingerprint query; a changed one is reloaded before searching."""
    table = _FakeKnowledge()
    uow: Any = _FakeUow(table)
    index = KnowledgeIndex()
    await index.rebuild(uow)
    await index.refresh(uow)
    assert table.loads == 1
    table.articles["kb-1"] = Article("kb-1", "Forgot your password", "Reset it from the login page.", "en")
    table.changed = T0
    await index.refresh(uow)
    assert table.loads == 2
    assert index.search("forgot password", lang="en")[0].article_id == "kb-1"


async def test_a_failing_reaction_is_logged_and_the_others_still_run() -> None:
    """A follow-up reaction that raises must not turn a committed change into an error for the caller."""
    from kefu.adapters.bus.memory import InProcessBus  # noqa: PLC0415
    from kefu.domain.clock import FakeClock  # noqa: PLC0415
    from kefu.domain.events import ConversationResolved  # noqa: PLC0415
    from kefu.services.messagebus import MessageBus  # noqa: PLC0415

    unused: Any = None
    bus = MessageBus(unused, InProcessBus(), FakeClock(T0), load_settings(), unused, unused)
    seen: list[str] = []

    async def broken(event: Any) -> None:
        raise RuntimeError("boom")

    async def fine(event: Any) -> None:
        seen.append(event.conversation_id)

    bus.subscribe(ConversationResolved, broken)
    bus.subscribe(ConversationResolved, fine)
    await bus.dispatch([ConversationResolved("conv-1", None, "self_service", T0)])
    assert seen == ["conv-1"]
