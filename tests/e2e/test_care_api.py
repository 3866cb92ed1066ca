"""Care over HTTP: triage, self-service with a human in reach, callbacks, keep-your-place, follow-ups."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.bootstrap import Kefu, bootstrap
from kefu.care import seed_articles
from kefu.domain.cases import CaseResolved
from kefu.domain.clock import FakeClock
from kefu.domain.users import SYSTEM_ACTOR
from kefu.services.care.callbacks import DeliverCallback
from kefu.services.care.scheduler import Scheduler
from tests.clocks import MORNING, clock_for, clock_matrix
from tests.conftest import Database, asgi_client, make_user, running_kefu, settings_for

H = dict[str, str]
START = MORNING  # 10:00 in Shanghai on a fixed day, whatever the machine's clock says

pytestmark = clock_matrix


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> FakeClock:
    """A frozen clock, or one that also moves on every read (see tests/clocks.py)."""
    return clock_for(request, START)


def care_settings(database: Database) -> Any:
    # A long poll: the background scheduler stays idle and the test drives passes itself.
    return settings_for(database, offer_timeout_s=20, wrap_up_s=0, scheduler_poll_s=60)


@pytest_asyncio.fixture
async def care(database: Database, clock: FakeClock) -> AsyncIterator[Kefu]:
    """A kefu with routing and the scheduler on a clock the test moves."""
    async with running_kefu(care_settings(database), clock) as k:
        yield k


class Desk:
    """Helpers that drive the centre through the API."""

    def __init__(self, client: httpx.AsyncClient, kefu: Kefu, clock: FakeClock) -> None:
        self.c, self.kefu, self.clock = client, kefu, clock
        self.sup: H = {}
        self.integ: H = {}

    async def setup(self) -> None:
        self.sup = await make_user(self.kefu, "sup", "supervisor")
        self.integ = await make_user(self.kefu, "gateway", "integration")

    async def seed_kb(self) -> None:
        for a in seed_articles():
            body = {
                "id": a.id,
                "title": a.title,
                "body": a.body,
                "language": a.language,
                "tags": list(a.tags),
            }
            r = await self.c.post("/api/v1/kb/articles", json=body, headers=self.sup)
            assert r.status_code == 201, r.text

    async def agent(self, username: str, **skills: int) -> tuple[str, H]:
        h = await make_user(self.kefu, username, "agent")
        body = {
            "name": username,
            "site": "chongqing",
            "skills": skills,
            "capacity": {"chat": 2, "voice": 1, "callback": 1},
            "username": username,
        }
        r = await self.c.post("/api/v1/agents", json=body, headers=self.sup)
        assert r.status_code == 201, r.text
        agent_id = str(r.json()["id"])
        r = await self.c.put(f"/api/v1/agents/{agent_id}/presence", json={"presence": "available"}, headers=h)
        assert r.status_code == 200, r.text
        return agent_id, h

    async def customer(self, external_id: str, **fields: object) -> str:
        body = {"external_id": external_id, "name": "客户", "phone": "13800000000", **fields}
        r = await self.c.post("/api/v1/customers", json=body, headers=self.integ)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def open(self, customer_id: str, text: str, line: str = "payments", channel: str = "chat") -> Any:
        body = {"customer_id": customer_id, "business_line": line, "channel": channel, "text": text}
        r = await self.c.post("/api/v1/conversations", json=body, headers=self.integ)
        assert r.status_code == 201, r.text
        return r.json()

    async def say(self, conversation_id: str, text: str) -> None:
        r = await self.c.post(
            f"/api/v1/conversations/{conversation_id}/messages", json={"body": text}, headers=self.integ
        )
        assert r.status_code == 201, r.text

    async def conversation(self, conversation_id: str) -> Any:
        r = await self.c.get(f"/api/v1/conversations/{conversation_id}", headers=self.sup)
        assert r.status_code == 200, r.text
        return r.json()

    async def offers(self, agent_id: str, h: H) -> list[Any]:
        r = await self.c.get(f"/api/v1/agents/{agent_id}/offers", headers=h)
        assert r.status_code == 200, r.text
        return list(r.json())

    async def callback(self, callback_id: str) -> Any:
        r = await self.c.get(f"/api/v1/callbacks/{callback_id}", headers=self.sup)
        assert r.status_code == 200, r.text
        return r.json()

    async def schedule(
        self, customer_id: str, start: datetime, end: datetime, reason: str = "付款失败"
    ) -> Any:
        body = {
            "customer_id": customer_id,
            "reason": reason,
            "window_start": start.isoformat(),
            "window_end": end.isoformat(),
        }
        r = await self.c.post("/api/v1/callbacks", json=body, headers=self.integ)
        assert r.status_code == 201, r.text
        return r.json()

    async def at(self, when: datetime) -> int:
        """Move the clock, let routing and one scheduler catch up; returns callbacks claimed."""
        self.clock.set(when)
        assert self.kefu.router is not None
        await self.kefu.router.tick()
        return await Scheduler(self.kefu.bus, name="test").drain()


@pytest_asyncio.fixture
async def desk(care: Kefu, clock: FakeClock) -> AsyncIterator[Desk]:
    async with asgi_client(care) as client:
        d = Desk(client, care, clock)
        await d.setup()
        yield d


# --- triage and self-service ------------------------------------------------------------------------------


async def test_triage_is_stored_on_the_conversation(desk: Desk) -> None:
    """Intent and language from the opening words are saved and shown on the conversation."""
    cust = await desk.customer("tri1")
    conv = await desk.open(cust, "游戏充值了68元，钻石没有到账", line="games")
    assert (conv["intent"], conv["language"], conv["care"]) == ("game_recharge", "zh", False)
    again = await desk.conversation(conv["id"])
    assert (again["intent"], again["language"]) == ("game_recharge", "zh")
    en = await desk.open(cust, "I forgot my password and cannot log in", line="social")
    assert en["language"] == "en"


async def test_a_simple_question_is_answered_and_asking_for_a_human_reaches_one(desk: Desk) -> None:
    """The knowledge base answers without a task; "转人工" queues it for a person with its context."""
    await desk.seed_kb()
    agent_id, h = await desk.agent("pay1", payments=3)
    cust = await desk.customer("young1", birth_date="1995-04-01")
    conv = await desk.open(cust, "支付失败了怎么办")
    assert conv["status"] == "self_service"
    detail = await desk.conversation(conv["id"])
    assert [m["sender"] for m in detail["messages"]] == ["customer", "system"]
    assert "支付失败" in detail["messages"][1]["body"]
    assert await desk.offers(agent_id, h) == []
    await desk.say(conv["id"], "转人工")
    detail = await desk.conversation(conv["id"])
    assert detail["status"] == "queued"
    assert [m["sender"] for m in detail["messages"]] == ["customer", "system", "customer", "system"]
    offers = await desk.offers(agent_id, h)
    assert [o["conversation_id"] for o in offers] == [conv["id"]]
    bus = desk.kefu.publisher
    assert isinstance(bus, InProcessBus)
    names = [e.name for e in bus.published]
    assert names.count("conversation.self_service_answered") == 1
    assert names.count("conversation.escalated") == 1


async def test_self_service_ends_solved_or_goes_to_a_human_when_it_did_not_help(desk: Desk) -> None:
    """ "解决了" resolves the conversation; "没用" queues it; a vague question is never answered by a bot."""
    await desk.seed_kb()
    cust = await desk.customer("young2", birth_date="1990-01-01")
    solved = await desk.open(cust, "忘记密码了")
    assert solved["status"] == "self_service"
    await desk.say(solved["id"], "好的，解决了，谢谢")
    done = await desk.conversation(solved["id"])
    assert (done["status"], done["disposition"]) == ("resolved", "self_service")
    unhelped = await desk.open(cust, "my payment failed")
    assert unhelped["status"] == "self_service"
    await desk.say(unhelped["id"], "that did not help")
    assert (await desk.conversation(unhelped["id"]))["status"] == "queued"
    vague = await desk.open(cust, "你好")
    assert vague["status"] == "queued"
    closed = await desk.open(cust, "我想退款")
    r = await desk.c.post(f"/api/v1/conversations/{closed['id']}/close", headers=desk.integ)
    assert r.json()["status"] == "closed"


async def test_an_elderly_customer_goes_straight_to_a_human_with_care_on(desk: Desk) -> None:
    """Even with a confident article an elderly customer is queued first, with care guidance for agents."""
    await desk.seed_kb()
    young = await desk.open(await desk.customer("y3", birth_date="1996-01-01"), "我想要人工客服处理付款")
    old_cust = await desk.customer("o3", birth_date="1950-06-01")
    old = await desk.open(old_cust, "支付失败了怎么办")
    assert old["status"] == "queued"
    assert old["care"] is True
    assert old["priority"] > young["priority"]
    assert any("慢" in line for line in old["care_guidance"])
    assert young["care_guidance"] == []
    agent_id, h = await desk.agent("carer", payments=3, elderly_care=4, lang_en=5, lang_zh=2)
    offers = await desk.offers(agent_id, h)
    assert offers[0]["conversation_id"] == old["id"]
    assert offers[0]["care"] is True
    await desk.c.post(f"/api/v1/offers/{offers[0]['id']}/accept", headers=h)
    seen = (await desk.c.get(f"/api/v1/conversations/{old['id']}", headers=h)).json()
    assert any("slowly" in line for line in seen["care_guidance"])


# --- knowledge base ---------------------------------------------------------------------------------------


async def test_knowledge_base_articles_and_search(desk: Desk) -> None:
    """Supervisors save articles; anyone searches zh and en; bad input is 4xx problem+json."""
    await desk.seed_kb()
    _, agent = await desk.agent("reader", social=2)
    r = await desk.c.get("/api/v1/kb/search", params={"q": "账号被封了怎么解封", "lang": "zh"}, headers=agent)
    assert r.status_code == 200, r.text
    assert r.json()["hits"][0]["article"]["id"] == "kb-account-unlock-zh"
    assert r.json()["confident"] is True
    one = await desk.c.get("/api/v1/kb/articles/kb-refund-en", headers=agent)
    assert one.json()["title"] == "How to request a refund"
    first = (await desk.c.get("/api/v1/kb/articles", params={"limit": 5}, headers=agent)).json()
    second = (
        await desk.c.get(
            "/api/v1/kb/articles", params={"limit": 50, "cursor": first["next_cursor"]}, headers=agent
        )
    ).json()
    assert len(first["items"]) + len(second["items"]) == 12
    body = {
        "id": "kb-wallet-zh",
        "title": "零钱提现",
        "body": "零钱提现到银行卡，一般两小时内到账。",
        "language": "zh",
    }
    assert (await desk.c.post("/api/v1/kb/articles", json=body, headers=agent)).status_code == 403
    assert (await desk.c.post("/api/v1/kb/articles", json=body, headers=desk.sup)).status_code == 201
    hits = (await desk.c.get("/api/v1/kb/search", params={"q": "零钱提现"}, headers=agent)).json()["hits"]
    assert hits[0]["article"]["id"] == "kb-wallet-zh"
    bad = await desk.c.post("/api/v1/kb/articles", json={**body, "language": "fr"}, headers=desk.sup)
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert (await desk.c.get("/api/v1/kb/articles/nope", headers=agent)).status_code == 404
    assert (await desk.c.get("/api/v1/kb/search", params={"q": " "}, headers=agent)).status_code == 422


# --- callbacks --------------------------------------------------------------------------------------------


async def test_a_callback_fires_in_its_window_retries_on_no_answer_and_completes(desk: Desk) -> None:
    """scheduled → due at the window's start (a callback task), no answer → retry 10 min later, in the
    same place in line → reached."""
    agent_id, h = await desk.agent("caller", payments=3)
    cust = await desk.customer("cb1", birth_date="1985-01-01")
    cb = await desk.schedule(cust, START + timedelta(hours=1), START + timedelta(hours=3))
    assert (cb["status"], cb["queue"], cb["roll_over"]) == ("scheduled", "payments", False)
    assert await desk.at(START + timedelta(minutes=59)) == 0
    assert (await desk.callback(cb["id"]))["status"] == "scheduled"
    assert await desk.at(START + timedelta(hours=1)) == 1
    assert (await desk.callback(cb["id"]))["status"] == "due"
    offers = await desk.offers(agent_id, h)
    assert [(o["kind"], o["subject_id"], o["channel"]) for o in offers] == [
        ("callback", cb["id"], "callback")
    ]
    await desk.c.post(f"/api/v1/offers/{offers[0]['id']}/accept", headers=h)
    assert (await desk.callback(cb["id"]))["status"] == "in_progress"
    as_agent = await desk.c.get(f"/api/v1/callbacks/{cb['id']}", headers=h)
    assert as_agent.json()["phone"] == "138****0000"  # agents never see a full number
    r = await desk.c.post(f"/api/v1/callbacks/{cb['id']}/attempts", json={"result": "no_answer"}, headers=h)
    assert r.status_code == 200, r.text
    retry = r.json()
    assert retry["status"] == "scheduled"
    tried_at = datetime.fromisoformat(retry["attempts"][-1]["at"])  # the clock may move between reads
    assert START + timedelta(hours=1) <= tried_at < START + timedelta(hours=1, seconds=1)
    assert datetime.fromisoformat(retry["next_attempt_at"]) == tried_at + timedelta(minutes=10)
    assert await desk.at(tried_at + timedelta(minutes=10)) == 1
    async with desk.kefu.bus.uow_factory() as uow:
        retry_task = await uow.tasks.open_for_subject(cb["id"])
    assert retry_task is not None
    assert retry_task.enqueued_at <= tried_at  # the retry keeps the place its first attempt took
    offers = await desk.offers(agent_id, h)
    await desk.c.post(f"/api/v1/offers/{offers[0]['id']}/accept", headers=h)
    r = await desk.c.post(
        f"/api/v1/callbacks/{cb['id']}/attempts", json={"result": "reached", "note": "已处理"}, headers=h
    )
    done = r.json()
    assert (done["status"], done["outcome"]) == ("completed", "reached")
    assert [a["result"] for a in done["attempts"]] == ["no_answer", "reached"]
    late = await desk.c.post(f"/api/v1/callbacks/{cb['id']}/attempts", json={"result": "busy"}, headers=h)
    assert late.status_code == 409
    assert late.json()["code"] == "illegal_callback_transition"
    async with desk.kefu.bus.uow_factory() as uow:
        actions = [e.action for e in await uow.audit.for_subject("callback", cb["id"])]
    assert actions == [
        "callback.scheduled",
        "callback.due",
        "callback.attempt_started",
        "callback.attempt_recorded",
        "callback.retry_scheduled",
        "callback.due",
        "callback.attempt_started",
        "callback.attempt_recorded",
        "callback.completed",
    ]


async def test_missed_windows_roll_over_for_the_elderly_and_fail_for_others(desk: Desk) -> None:
    """Nobody called in the window: an elderly customer's callback moves to the next day, another fails."""
    old = await desk.customer("cb-old", birth_date="1948-01-01")
    young = await desk.customer("cb-young", birth_date="1999-01-01")
    a = await desk.schedule(old, START, START + timedelta(hours=1))
    b = await desk.schedule(young, START, START + timedelta(hours=1))
    assert a["queue"] == "elderly_care"
    await desk.at(START)
    await desk.at(START + timedelta(hours=1))
    rolled, failed = await desk.callback(a["id"]), await desk.callback(b["id"])
    assert (rolled["status"], rolled["rollovers"]) == ("scheduled", 1)
    assert rolled["window_start"].startswith((START + timedelta(days=1)).date().isoformat())
    assert (failed["status"], failed["outcome"]) == ("failed", "window_missed")
    assert desk.kefu.router is not None
    assert [t for t in desk.kefu.router.engine.tasks() if t.queue_id == "elderly_care"] == []


async def test_callback_errors_are_clear(desk: Desk) -> None:
    """Bad windows 422, unknown ids 404, illegal transitions 409, filters and pagination work."""
    cust = await desk.customer("cb-err")
    url = "/api/v1/callbacks"
    base = {"customer_id": cust, "reason": "回电", "window_start": START.isoformat()}
    reversed_window = {**base, "window_end": (START - timedelta(hours=1)).isoformat()}
    naive = {**base, "window_start": "2030-03-02T10:00:00", "window_end": "2030-03-02T12:00:00"}
    past = {**base, "window_start": "2020-01-01T00:00:00Z", "window_end": "2020-01-01T01:00:00Z"}
    for bad in (reversed_window, naive, past, {**base, "window_end": "soon"}):
        r = await desk.c.post(url, json=bad, headers=desk.integ)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
    nobody = {**base, "customer_id": "nobody", "window_end": (START + timedelta(hours=1)).isoformat()}
    assert (await desk.c.post(url, json=nobody, headers=desk.integ)).status_code == 422
    assert (await desk.c.get(f"{url}/nope", headers=desk.sup)).status_code == 404
    made = [await desk.schedule(cust, START, START + timedelta(hours=2)) for _ in range(3)]
    r = await desk.c.post(f"{url}/{made[0]['id']}/cancel", json={"reason": "不需要了"}, headers=desk.integ)
    assert r.json()["status"] == "cancelled"
    again = await desk.c.post(f"{url}/{made[0]['id']}/cancel", headers=desk.integ)
    assert again.status_code == 409
    assert again.json()["code"] == "illegal_callback_transition"
    not_due = await desk.c.post(
        f"{url}/{made[1]['id']}/attempts", json={"result": "reached"}, headers=desk.sup
    )
    assert not_due.status_code == 409
    bad_result = await desk.c.post(
        f"{url}/{made[1]['id']}/attempts", json={"result": "maybe"}, headers=desk.sup
    )
    assert bad_result.status_code == 422
    page = (await desk.c.get(url, params={"status": "scheduled", "limit": 1}, headers=desk.sup)).json()
    rest = (
        await desk.c.get(
            url, params={"status": "scheduled", "limit": 10, "cursor": page["next_cursor"]}, headers=desk.sup
        )
    ).json()
    assert [c["id"] for c in page["items"] + rest["items"]] == [made[1]["id"], made[2]["id"]]
    mine = (await desk.c.get(url, params={"customer_id": cust}, headers=desk.sup)).json()
    assert len(mine["items"]) == 3
    assert (await desk.c.get(url, params={"status": "lost"}, headers=desk.sup)).status_code == 422


async def test_keep_your_place_takes_a_callback_from_the_same_place_in_line(desk: Desk) -> None:
    """After KEFU_CALLBACK_OFFER_S a voice customer may take a callback; its task keeps the place in line."""
    cust = await desk.customer("kp1", birth_date="1980-01-01")
    voice = await desk.open(cust, "我的付款被扣了两次", channel="voice")
    chat = await desk.open(cust, "付款问题", channel="chat")
    async with desk.kefu.bus.uow_factory() as uow:
        place = await uow.tasks.open_for_subject(voice["id"])
    assert place is not None
    url = f"/api/v1/conversations/{voice['id']}/callback"
    early = await desk.c.post(url, headers=desk.integ)
    assert early.status_code == 409
    assert early.json()["code"] == "callback_not_offered"
    await desk.at(START + timedelta(seconds=121))
    assert (
        await desk.c.post(f"/api/v1/conversations/{chat['id']}/callback", headers=desk.integ)
    ).status_code == 409
    r = await desk.c.post(url, json={"phone": "13900000000"}, headers=desk.integ)
    assert r.status_code == 201, r.text
    cb = r.json()
    assert (cb["origin"], cb["status"], cb["conversation_id"], cb["phone"]) == (
        "keep_place",
        "due",
        voice["id"],
        "13900000000",
    )
    assert desk.kefu.router is not None
    tasks = {t.task_id: t for t in desk.kefu.router.engine.tasks()}
    async with desk.kefu.bus.uow_factory() as uow:
        task = await uow.tasks.open_for_subject(cb["id"])
        assert await uow.tasks.open_for_subject(voice["id"]) is None
    assert task is not None
    assert task.enqueued_at == place.enqueued_at  # the callback waits where the call waited
    assert task.id in tasks
    agent_id, h = await desk.agent("kp-agent", payments=3)
    offer = next(o for o in await desk.offers(agent_id, h) if o["kind"] == "callback")
    assert offer["subject_id"] == cb["id"]
    await desk.c.post(f"/api/v1/offers/{offer['id']}/accept", headers=h)
    assert (await desk.conversation(voice["id"]))["agent_id"] == agent_id
    assert (await desk.callback(cb["id"]))["status"] == "in_progress"
    twice = await desk.c.post(url, headers=desk.integ)
    assert twice.status_code == 409


# --- follow-ups and restarts ------------------------------------------------------------------------------


async def test_follow_ups_appear_after_a_dissuaded_case_and_an_elderly_conversation(desk: Desk) -> None:
    """24 h and 7 d after a dissuaded case (once, even if the event repeats); 1 d after an elderly contact."""
    victim = await desk.customer("victim", birth_date="1985-01-01")
    event = CaseResolved("case-1", victim, "dissuaded", 500_000, "CNY", START)
    await desk.kefu.bus.dispatch([event])
    await desk.kefu.bus.dispatch([event])
    await desk.kefu.bus.dispatch([CaseResolved("case-2", victim, "released", 100, "CNY", START)])
    items = (await desk.c.get("/api/v1/callbacks", params={"customer_id": victim}, headers=desk.sup)).json()[
        "items"
    ]
    assert [(c["origin"], c["queue"], c["follow_up"]["subject_id"]) for c in items] == [
        ("follow_up", "anti_fraud", "case-1"),
        ("follow_up", "anti_fraud", "case-1"),
    ]
    starts = sorted(datetime.fromisoformat(c["window_start"]) for c in items)
    assert starts[0] - START >= timedelta(hours=24)
    assert starts[1] - START >= timedelta(days=7)
    agent_id, h = await desk.agent("helper", payments=3, elderly_care=3)
    old = await desk.customer("elder-fu", birth_date="1940-01-01")
    conv = await desk.open(old, "我的付款失败了")
    offer = (await desk.offers(agent_id, h))[0]
    await desk.c.post(f"/api/v1/offers/{offer['id']}/accept", headers=h)
    r = await desk.c.post(
        f"/api/v1/conversations/{conv['id']}/resolve", json={"disposition": "solved"}, headers=h
    )
    assert r.status_code == 200, r.text
    follow = (await desk.c.get("/api/v1/callbacks", params={"customer_id": old}, headers=desk.sup)).json()[
        "items"
    ]
    assert [(c["origin"], c["queue"], c["roll_over"]) for c in follow] == [
        ("follow_up", "elderly_care", True)
    ]


async def test_a_scheduled_callback_survives_a_restart(
    desk: Desk, database: Database, clock: FakeClock
) -> None:
    """A second kefu on the same database delivers the callback in its window and routes its task."""
    cust = await desk.customer("restart1")
    cb = await desk.schedule(cust, START + timedelta(hours=2), START + timedelta(hours=4))
    await desk.kefu.close()
    clock.set(START + timedelta(hours=1))
    second = await bootstrap(
        care_settings(database), hasher=Argon2Hasher(fast=True), publisher=InProcessBus(), clock=clock
    )
    try:
        clock.set(START + timedelta(hours=2, minutes=1))
        await Scheduler(second.bus, name="after-restart").drain()
        async with second.bus.uow_factory() as uow:
            record = await uow.callbacks.get(cb["id"])
            task = await uow.tasks.open_for_subject(cb["id"])
            entries = await uow.audit.for_subject("callback", cb["id"])
        assert [e.action for e in entries].count("callback.due") == 1
        assert record is not None
        assert str(record.callback.state) == "due"
        assert task is not None
        assert second.router is not None
        assert task.id in {t.task_id for t in second.router.engine.tasks()}
    finally:
        await second.close()


async def test_a_crashed_claim_is_delivered_once_after_its_lease(desk: Desk) -> None:
    """A scheduler that claimed and died delivers nothing; after the lease another delivers exactly once."""
    cust = await desk.customer("lease1")
    cb = await desk.schedule(cust, START + timedelta(minutes=5), START + timedelta(hours=2))
    desk.clock.set(START + timedelta(minutes=5))
    crashed = Scheduler(desk.kefu.bus, name="crashed")
    token, ids = await crashed.claim()
    assert ids == [cb["id"]]
    other = Scheduler(desk.kefu.bus, name="other")
    assert await other.run_once() == 0
    desk.clock.advance(desk.kefu.settings.scheduler_lease_s + 1)
    assert await other.run_once() == 1
    assert other.delivered == 1
    # The first scheduler wakes up and carries on with its stale claim: nothing is delivered twice.
    assert await desk.kefu.bus.handle(DeliverCallback(cb["id"], token, "crashed"), SYSTEM_ACTOR) is False
    async with desk.kefu.bus.uow_factory() as uow:
        entries = await uow.audit.for_subject("callback", cb["id"])
    assert [e.detail.get("worker") for e in entries if e.action == "callback.due"] == ["other"]


async def test_a_cancelled_keep_place_callback_ends_its_conversation(desk: Desk) -> None:
    """A voice conversation whose kept place is cancelled is abandoned, not left waiting for ever."""
    cust = await desk.customer("kp2", language="en")
    voice = await desk.open(cust, "", channel="voice")
    assert voice["language"] == "en"
    await desk.at(START + timedelta(seconds=150))
    cb = (await desk.c.post(f"/api/v1/conversations/{voice['id']}/callback", headers=desk.integ)).json()
    r = await desk.c.post(f"/api/v1/callbacks/{cb['id']}/cancel", headers=desk.integ)
    assert r.json()["status"] == "cancelled"
    assert (await desk.conversation(voice["id"]))["status"] == "abandoned"
