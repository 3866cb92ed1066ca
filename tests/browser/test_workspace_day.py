"""The agent workspace's defects of issue 16, each in a real browser: a failed load never leaves another
conversation open for a reply, agents without the anti-fraud skill get a live workspace, double clicks send
once, offline and session expiry are told truthfully, urgent offers come first, and a chat agent's full
day. Every state is photographed at 1440 and 768 px wide."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import Centre, sign_in
from tests.clocks import ELDERLY_BIRTH_DATE, daytime_at_or_before
from tests.e2e.test_server_process import PASSWORD, run_cli

pytestmark = pytest.mark.browser

RECONNECT_MS = 60_000  # the stream backs off up to 30 s between attempts: a deadline, not a pause


def shots(page: Page, shot: Any, step: str) -> None:
    """The same state at 1440 and at 768 px wide (the tablet width), then back to 1440."""
    page.set_viewport_size({"width": 1440, "height": 900})
    shot(page, f"{step}-1440")
    page.set_viewport_size({"width": 768, "height": 1024})
    shot(page, f"{step}-768")
    page.set_viewport_size({"width": 1440, "height": 900})


def chat_agent(centre: Centre, username: str) -> dict[str, Any]:
    """An agent of most centres: chat and payments questions, no anti-fraud skill."""
    made = run_cli(
        ["user", "create", username, "--role", "agent"],
        centre.server.env,
        centre.server.workdir,
        stdin=PASSWORD + "\n",
    )
    assert made.returncode == 0, made.stderr
    body = {
        "name": "张敏",
        "site": "wuhan",
        "skills": {"payments": 4, "social": 4, "lang_zh": 5},
        "capacity": {"chat": 3, "voice": 1, "callback": 1},
        "username": username,
    }
    agent: dict[str, Any] = centre.call("admin", "POST", "/api/v1/agents", body, expect=201)
    return agent


def assigned(centre: Centre, agent: dict[str, Any], subject: str, text: str) -> str:
    customer = centre.customer(f"客户{subject[:2]}", birth_date="1991-07-01")
    conversation = centre.contact(customer, "social", subject, text)
    centre.call("admin", "POST", f"/api/v1/conversations/{conversation}/assign", {"agent_id": agent["id"]})
    return conversation


def offline(centre: Centre, agent: dict[str, Any]) -> None:
    centre.call("admin", "PUT", f"/api/v1/agents/{agent['id']}/presence", {"presence": "offline"})


def agent_messages(centre: Centre, conversation: str) -> list[str]:
    detail = centre.call("admin", "GET", f"/api/v1/conversations/{conversation}")
    return [m["body"] for m in detail["messages"] if m["sender"] == "agent"]


def test_a_failed_load_never_leaves_another_conversation_open_for_a_reply(
    centre: Centre, page: Page, shot: Any
) -> None:
    """Opening B fails (503): A is no longer on screen, nor any reply form; after a retry the reply goes
    to B, A gets nothing, and A's draft waits for it."""
    agent = chat_agent(centre, "day.safe")
    first = assigned(centre, agent, "修改绑定手机", "我想换绑手机号。")
    second = assigned(centre, agent, "查询账单明细", "上个月的账单在哪里看？")
    try:
        sign_in(page, centre.url, "day.safe")
        page.locator("#worklist button.item", has_text="修改绑定手机").click()
        expect(page.locator("#work-title")).to_have_text("修改绑定手机")
        page.get_by_label("回复客户").fill("给A的回复")

        def unavailable(route: Route) -> None:
            if route.request.method == "GET":
                route.fulfill(
                    status=503, content_type="application/problem+json", body='{"code":"unavailable"}'
                )
            else:
                route.continue_()

        page.route(f"**/api/v1/conversations/{second}", unavailable)
        page.locator("#worklist button.item", has_text="查询账单明细").click()
        expect(page.locator(".load-failed")).to_contain_text("服务暂时不可用")
        expect(page.locator("#work-title")).to_have_count(0)
        expect(page.locator("#reply")).to_have_count(0)
        expect(page.locator("#resolve-form")).to_have_count(0)
        shots(page, shot, "load-failed")

        page.unroute(f"**/api/v1/conversations/{second}")
        page.get_by_role("button", name="重试").click()
        expect(page.locator("#work-title")).to_have_text("查询账单明细")
        expect(page.get_by_label("回复客户")).to_have_value("")
        page.get_by_label("回复客户").fill("账单在“我的-账单”里。")
        page.get_by_role("button", name="发送").click()
        expect(page.locator("#messages li.msg.agent")).to_have_count(1)
        assert agent_messages(centre, second) == ["账单在“我的-账单”里。"]
        assert agent_messages(centre, first) == []

        page.locator("#worklist button.item", has_text="修改绑定手机").click()
        expect(page.get_by_label("回复客户")).to_have_value("给A的回复")
    finally:
        offline(centre, agent)


def test_an_agent_without_the_anti_fraud_skill_gets_a_live_workspace(
    centre: Centre, page: Page, shot: Any
) -> None:
    """The case list answers 403 for this agent: the stream still opens, offers arrive and count down, and no
    error is shown; a break is taken with its reason (用餐), visible in forced-colours mode."""
    agent = chat_agent(centre, "day.plain")
    customer = centre.customer("赵磊", birth_date="1993-02-11")
    try:
        sign_in(page, centre.url, "day.plain")
        expect(page.locator("#live")).to_have_text("实时")
        page.get_by_role("radio", name="就绪").click()
        expect(page.get_by_role("radio", name="就绪")).to_have_attribute("aria-checked", "true")
        centre.contact(customer, "social", "头像无法上传", "我的头像一直传不上去。")
        offer = page.locator("#offers li.offer")
        expect(offer).to_have_count(1)
        countdown = offer.locator(".countdown")
        shown = countdown.inner_text()
        expect(countdown).not_to_have_text(shown)  # it ticks
        expect(page.locator("#toast.bad")).to_have_count(0)
        shots(page, shot, "plain-agent-offer")
        offer.get_by_role("button", name="接受").click()
        expect(page.locator("#work-title")).to_have_text("头像无法上传")
        expect(page.locator("#toast.bad")).to_have_count(0)
        expect(page.locator("#risk")).to_have_count(0)

        # A break with its reason; in forced-colours mode the chosen presence keeps a visible mark.
        page.get_by_role("radio", name="小休").click()
        expect(page.get_by_role("radio", name="小休")).to_have_attribute("aria-checked", "true")
        page.get_by_label("小休原因").select_option("meal")
        expect(page.locator("#toast")).to_have_text("小休 · 用餐")
        seen = centre.call("admin", "GET", f"/api/v1/agents/{agent['id']}")
        assert (seen["presence"], seen["presence_reason"]) == ("away", "meal")
        page.emulate_media(forced_colors="active")
        checked = page.get_by_role("radio", name="小休")
        assert checked.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
        shots(page, shot, "away-meal-forced-colours")
        page.emulate_media(forced_colors="none")
    finally:
        offline(centre, agent)


def test_a_double_click_sends_once_and_offline_is_told(centre: Centre, page: Page, shot: Any) -> None:
    """Two quick clicks on 发送 post one message; offline, the badge says so, and 实时 returns."""
    agent = chat_agent(centre, "day.double")
    conversation = assigned(centre, agent, "红包没收到", "朋友发的红包没收到。")
    posts: list[str] = []
    page.on(
        "request",
        lambda r: posts.append(r.url) if r.method == "POST" and r.url.endswith("/messages") else None,
    )
    try:
        sign_in(page, centre.url, "day.double")
        page.locator("#worklist button.item", has_text="红包没收到").click()
        page.get_by_label("回复客户").fill("请稍等，我帮您查一下。")
        page.get_by_role("button", name="发送").dblclick()
        expect(page.locator("#messages li.msg.agent")).to_have_count(1)
        assert len(posts) == 1
        assert agent_messages(centre, conversation) == ["请稍等，我帮您查一下。"]

        expect(page.locator("#live")).to_have_text("实时")
        page.context.set_offline(True)
        expect(page.locator("#live")).to_have_text("网络已断开")
        shots(page, shot, "offline")
        page.context.set_offline(False)
        expect(page.locator("#live")).to_have_text("实时", timeout=RECONNECT_MS)
    finally:
        offline(centre, agent)


def test_an_expired_session_asks_to_sign_in_again_and_keeps_the_draft(
    centre: Centre, page: Page, shot: Any
) -> None:
    """The password is reset (every token stops working): the next action shows "登录已过期，请重新登录";
    signed in again, the same conversation is open with the draft, and one stream runs."""
    agent = chat_agent(centre, "day.expiry")
    assigned(centre, agent, "积分兑换失败", "积分兑换一直失败。")
    streams: list[str] = []
    page.on("request", lambda r: streams.append(r.url) if "/api/v1/stream?" in r.url else None)
    try:
        sign_in(page, centre.url, "day.expiry")
        expect(page.locator("#live")).to_have_text("实时")
        page.locator("#worklist button.item", has_text="积分兑换失败").click()
        page.get_by_label("回复客户").fill("您好，兑换失败是因为")
        centre.call("admin", "PUT", "/api/v1/users/day.expiry/password", {"password": PASSWORD})

        page.get_by_role("radio", name="小休").click()
        expect(page.locator("#session-expired")).to_contain_text("登录已过期，请重新登录")
        expect(page.locator("#workspace")).to_have_count(0)
        shots(page, shot, "session-expired")

        page.get_by_label("用户名").fill("day.expiry")
        page.get_by_label("密码").fill(PASSWORD)
        page.locator("#login-form button[type=submit]").click()
        expect(page.locator("#work-title")).to_have_text("积分兑换失败")
        expect(page.get_by_label("回复客户")).to_have_value("您好，兑换失败是因为")
        expect(page.locator("#live")).to_have_text("实时")
        assert len(streams) == 2  # one per session: the first one's stream was stopped, not doubled
    finally:
        offline(centre, agent)


def test_a_case_offer_comes_first_in_red_and_accepting_keeps_other_work(
    centre: Centre, page: Page, shot: Any
) -> None:
    """A chat offer, then a ¥100,000 case offer: the case is listed first, red, with amount, typology and the
    payer's age band; the title counts both; A accepts the case; accepting the chat then keeps the case one
    click away; its release waits for a reached attempt and a reason, then shows 待主管批准."""
    agent = centre.agent("day.urgent")
    young = centre.customer("周杰", birth_date="1995-09-09")
    elder = centre.customer("王秀英", birth_date=ELDERLY_BIRTH_DATE.isoformat())
    try:
        sign_in(page, centre.url, "day.urgent")
        expect(page.locator("#live")).to_have_text("实时")
        page.get_by_role("radio", name="就绪").click()
        expect(page.get_by_role("radio", name="就绪")).to_have_attribute("aria-checked", "true")
        centre.contact(young, "social", "昵称修改", "怎么改昵称？")
        expect(page.locator("#offers li.offer")).to_have_count(1)
        payment = {
            "payment_id": "pay-day-urgent-1",
            "payer": {"customer_id": elder},
            "payee": {"account_id": "acct-day-soldier", "name": "边防战士 李强", "kind": "individual"},
            "amount": 10_000_000,
            "currency": "CNY",
            "channel": "transfer",
            "memo": "给边防战士的捐款",
            "created_at": daytime_at_or_before(datetime.now(UTC)).isoformat(),
        }
        assert centre.call("integration", "POST", "/api/v1/payments/screen", payment)["decision"] == "hold"

        offers = page.locator("#offers li.offer")
        expect(offers).to_have_count(2)
        first = offers.first
        expect(first).to_have_attribute("data-kind", "case")
        expect(first).to_have_class(re.compile(r"\burgent\b"))
        expect(first).to_contain_text("100,000.00")
        expect(first).to_contain_text("冒充军人")
        expect(first).to_contain_text(re.compile(r"\d0–\d9 岁"))
        expect(page.locator("#offers-urgent")).to_contain_text("100,000.00")
        expect(page).to_have_title(re.compile(r"^\(2\) 新分配"))
        expect(first.get_by_role("button", name=re.compile("^接受：干预案件"))).to_be_visible()
        shots(page, shot, "urgent-offers")

        page.locator("#main").focus()
        page.keyboard.press("a")
        expect(page.locator("#case-title")).to_contain_text("干预案件")
        expect(page.locator("#case-title")).to_be_focused()
        page.locator("#offers li.offer").get_by_role("button", name=re.compile("^接受")).click()
        expect(page.locator("#work-title")).to_have_text("昵称修改")
        expect(page.locator("#worklist button.item[data-kind=case]")).to_have_count(1)
        expect(page.locator("#worklist button.item[data-kind=conversation]")).to_have_count(1)
        shots(page, shot, "tabs")
        page.locator("#worklist button.item[data-kind=case]").click()
        expect(page.locator("#case-view .amount")).to_contain_text("100,000.00")
        expect(page).to_have_title("kefu 客服")

        # A release follows the server's rules: a reached attempt and a reason first, then four eyes.
        release = page.locator("#case-view").get_by_role("button", name="放行（误报）")
        expect(release).to_be_disabled()
        page.locator("#case-view").get_by_role("button", name="已接通").click()
        expect(page.locator("#case-attempt-list")).to_contain_text("已接通")
        expect(release).to_be_disabled()
        page.get_by_label("处理说明（放行必填）").fill("本人确认是给亲戚的转账")
        expect(release).to_be_enabled()
        release.click()
        expect(page.locator("#case-status")).to_have_text("待主管批准")
        shots(page, shot, "pending-approval")
    finally:
        offline(centre, agent)


def test_a_chat_agents_full_day(centre: Centre, page: Page, shot: Any) -> None:
    """Available, three chats in tabs, unread counts, a transfer with a note, a canned response with the
    customer's and agent's names, an internal note the customer's side never sees, resolve, the visible
    wrap-up ended by the agent, the resolved conversation found again in the inbox and by its search, a
    customer found by a phone's last four digits, and, off the phones, the waiting line of the agent's
    queues."""
    agent = chat_agent(centre, "day.full")
    greet = {
        "shortcut": "greet",
        "title": "问候",
        "body": "您好，{customer_name}，我是{agent_name}。请问有什么可以帮您？",
        "language": "zh",
    }
    centre.call("admin", "POST", "/api/v1/canned-responses", greet, expect=201)
    subjects = ["绑定银行卡", "修改实名信息", "账号申诉进度"]
    customers = [
        centre.customer(n, birth_date="1988-01-0" + str(i + 1))
        for i, n in enumerate(["钱一", "孙二", "李三"])
    ]
    try:
        sign_in(page, centre.url, "day.full")
        expect(page.locator("#live")).to_have_text("实时")
        page.get_by_role("radio", name="就绪").click()
        expect(page.get_by_role("radio", name="就绪")).to_have_attribute("aria-checked", "true")
        shots(page, shot, "available")
        conversations = []
        for customer, subject in zip(customers, subjects, strict=True):
            conversations.append(centre.contact(customer, "social", subject, f"你好，{subject}的问题。"))
            offer = page.locator("#offers li.offer")
            expect(offer).to_have_count(1)
            offer.get_by_role("button", name=re.compile("^接受")).click()
            expect(page.locator("#work-title")).to_have_text(subject)
        expect(page.locator("#worklist button.item[data-kind=conversation]")).to_have_count(3)
        shots(page, shot, "three-tabs")

        # A new customer message in a background tab shows as unread.
        centre.call(
            "integration",
            "POST",
            f"/api/v1/conversations/{conversations[0]}/messages",
            {"body": "还在吗？"},
            expect=201,
        )
        first = page.locator("#worklist button.item", has_text=subjects[0])
        expect(first.locator(".badge.unread")).to_have_text("1")
        expect(first.locator(".last")).to_have_text("还在吗？")
        shots(page, shot, "unread")

        page.locator("#worklist button.item", has_text=subjects[1]).click()
        page.locator("#conversation summary", has_text="转接").click()
        page.get_by_label("转到队列").select_option(index=1)
        page.get_by_label("转接说明").fill("实名问题请支付组处理")
        page.get_by_role("button", name="转接", exact=True).click()
        expect(page.locator("#toast")).to_have_text("已转接")
        expect(page.locator("#worklist button.item[data-kind=conversation]")).to_have_count(2)

        first.click()
        expect(first.locator(".badge.unread")).to_have_count(0)
        reply = page.get_by_label("回复客户")
        reply.fill("/gre")
        expect(page.get_by_role("listbox", name="快捷回复")).to_contain_text("/greet")
        shots(page, shot, "canned")
        reply.press("Enter")
        expect(reply).to_have_value("您好，钱一，我是张敏。请问有什么可以帮您？")
        page.get_by_role("button", name="发送").click()
        expect(page.locator("#messages li.msg.agent")).to_have_count(1)
        assert agent_messages(centre, conversations[0]) == ["您好，钱一，我是张敏。请问有什么可以帮您？"]
        page.locator("#conversation summary", has_text="内部备注").click()
        page.get_by_label("备注内容（只有坐席和主管能看到）").fill("客户已绑定两张卡，下次提醒解绑旧卡")
        page.get_by_role("button", name="添加备注").click()
        expect(page.locator("#messages li.msg.note")).to_contain_text("客户已绑定两张卡")
        shots(page, shot, "note")
        customer_side = centre.call("integration", "GET", f"/api/v1/conversations/{conversations[0]}")
        assert [m["sender"] for m in customer_side["messages"]] == ["customer", "customer", "agent"]
        page.get_by_label("处理结果").select_option("solved")
        page.get_by_role("button", name="解决").click()
        expect(page.locator("#toast")).to_have_text("会话已解决")
        expect(page.locator("#worklist button.item[data-kind=conversation]")).to_have_count(1)
        wrap_up = page.locator("#wrap-up")
        expect(wrap_up).to_contain_text(re.compile(r"剩余"))
        shots(page, shot, "wrap-up")
        wrap_up.get_by_role("button", name="结束整理").click()
        expect(wrap_up).to_have_count(0)

        # The inbox's "recently resolved" view brings the conversation back, read-only, with its date.
        page.get_by_role("button", name="近期已处理").click()
        resolved = page.locator("#inbox-list button", has_text=subjects[0])
        expect(resolved).to_contain_text(re.compile(r"\d{4}/\d{2}/\d{2}"))
        resolved.click()
        expect(page.locator("#work-title")).to_have_text(subjects[0])
        expect(page.locator("#messages li.msg.note")).to_have_count(1)
        expect(page.locator("#reply")).to_have_count(0)
        shots(page, shot, "inbox-resolved")

        # The inbox's search finds the day's conversation by a word of its subject and a customer of the
        # agent's base by the last four digits of a phone shown masked; each opens in a tab.
        search = page.get_by_role("searchbox", name="查找客户或会话")
        search.fill("绑定")
        page.get_by_role("button", name="查找", exact=True).click()
        found = page.locator("#search-results button", has_text=subjects[0])
        expect(found).to_contain_text(re.compile(r"\d{4}/\d{2}/\d{2}"))
        body = {"external_id": "ui-day-zxm", "name": "周晓梅", "phone": "13700002468", "home_site": "wuhan"}
        neighbour = centre.call("admin", "POST", "/api/v1/customers", body, expect=201)["id"]
        search.fill("2468")
        page.get_by_role("button", name="查找", exact=True).click()
        person = page.locator("#search-results li", has_text="周晓梅")
        expect(person).to_contain_text("137****2468")
        shots(page, shot, "inbox-search")
        person.get_by_role("button").click()
        expect(page.locator("#work")).to_contain_text("周晓梅")
        expect(page.locator("#worklist button.item[data-kind=customer]")).to_have_count(1)

        # Off the phones, the agent still sees what waits in the queues of their skills: place in line and
        # wait, read only (routing offers the work).
        offline(centre, agent)
        waiting = centre.contact(neighbour, "social", "发票开具", "请帮我开发票")
        page.get_by_role("button", name="我的队列中等待").click()
        line = page.locator("#inbox-list li.waiting-item", has_text="发票开具")
        expect(line).to_contain_text(re.compile(r"第 \d+ 位"))
        expect(line).to_contain_text(re.compile(r"已等 \d+ 分"))
        expect(page.locator("#inbox-list button")).to_have_count(0)
        shots(page, shot, "inbox-waiting")
        assert centre.call("admin", "GET", f"/api/v1/conversations/{waiting}")["agent_id"] is None
        assert (
            centre.call("admin", "GET", f"/api/v1/conversations/{conversations[0]}")["status"] == "resolved"
        )
        assert (
            centre.call("admin", "GET", f"/api/v1/conversations/{conversations[1]}")["agent_id"]
            != agent["id"]
        )
    finally:
        offline(centre, agent)
