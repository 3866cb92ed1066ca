"""The agent workspace in a real browser: from sign-in to a resolved conversation, in Chinese and English."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Centre, sign_in

pytestmark = pytest.mark.browser


def test_agent_takes_a_conversation_from_offer_to_resolution(centre: Centre, page: Page, shot) -> None:
    """An agent signs in, goes available, accepts the offer, sees the customer, replies live, resolves."""
    agent = centre.agent("ui.agent1")
    elder = centre.customer("王秀英", birth_date="1948-05-02", phone="13912345678")
    earlier = centre.contact(elder, "payments", "查询余额", "我想查一下余额。")
    centre.call("admin", "POST", f"/api/v1/conversations/{earlier}/assign", {"agent_id": agent["id"]})
    centre.call("admin", "POST", f"/api/v1/conversations/{earlier}/resolve", {"disposition": "info_given"})
    # Hand-assigned work counts like any other, so its end starts a wrap-up; the supervisor ends it at once.
    centre.call("admin", "POST", f"/api/v1/agents/{agent['id']}/wrap-up/end")

    sign_in(page, centre.url, "ui.agent1")
    expect(page.locator("#live")).to_have_text("实时")
    shot(page, "signed-in")

    page.get_by_role("radio", name="就绪").click()
    expect(page.get_by_role("radio", name="就绪")).to_have_attribute("aria-checked", "true")

    conversation = centre.contact(
        elder, "payments", "有人让我转账到安全账户", "警察打电话让我转账，是真的吗？"
    )
    offer = page.locator("#offers li.offer")
    expect(offer).to_have_count(1)
    expect(offer.locator(".countdown")).to_have_text(re.compile(r"剩余 \d+ 秒"))
    expect(offer).to_contain_text("关怀")
    shot(page, "offer")

    offer.get_by_role("button", name="接受").click()
    expect(page.locator("#work-title")).to_have_text("有人让我转账到安全账户")
    expect(page.locator("#messages")).to_contain_text("警察打电话让我转账")
    expect(page.locator("#customer-name")).to_have_text("王秀英")
    expect(page.locator("#customer-badges")).to_contain_text("长者")
    expect(page.locator("#care")).to_be_visible()
    expect(page.locator("#customer-facts")).not_to_contain_text("13912345678")
    expect(page.locator("#history")).to_contain_text("查询余额")
    # The scam the customer describes may also open a report case for this specialist: count the chats.
    expect(page.locator("#worklist button.item[data-kind=conversation]")).to_have_count(1)

    page.get_by_label("回复客户").fill("您好，请不要转账。警察不会让您转账到“安全账户”。")
    page.get_by_role("button", name="发送").click()
    expect(page.locator("#messages li.msg.agent")).to_have_count(1)

    centre.call(
        "integration",
        "POST",
        f"/api/v1/conversations/{conversation}/messages",
        {"body": "好的，我不转了，谢谢。"},
        expect=201,
    )
    expect(page.locator("#messages")).to_contain_text("我不转了")  # pushed, no reload
    shot(page, "conversation")

    page.get_by_label("处理结果").select_option("scam_warned")
    page.get_by_label("备注（可选）").fill("客户已确认不转账")
    page.get_by_role("button", name="解决").click()
    expect(page.locator("#toast")).to_have_text("会话已解决")
    expect(page.locator("#worklist button.item[data-kind=conversation]")).to_have_count(0)
    shot(page, "resolved")
    resolved = centre.call("admin", "GET", f"/api/v1/conversations/{conversation}")
    assert resolved["status"] == "resolved"
    assert resolved["disposition"] == "scam_warned"
    centre.call("admin", "PUT", f"/api/v1/agents/{agent['id']}/presence", {"presence": "offline"})


def test_keyboard_alone_accepts_replies_and_resolves(centre: Centre, page: Page, shot) -> None:
    """The shortcuts (?, G, A, R, Ctrl+Enter, E) carry an agent through a conversation without a mouse."""
    agent = centre.agent("ui.agent2")
    customer = centre.customer("陈伟", birth_date="1990-03-04")
    sign_in(page, centre.url, "ui.agent2")
    expect(page.locator("#live")).to_have_text("实时")

    page.keyboard.press("?")
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(page.get_by_role("dialog")).to_contain_text("接受最紧急的新分配")
    shot(page, "help")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()

    page.keyboard.press("g")
    expect(page.get_by_role("radio", name="就绪")).to_have_attribute("aria-checked", "true")
    centre.contact(customer, "social", "账号被冻结", "我的账号被冻结了。")
    expect(page.locator("#offers li.offer")).to_have_count(1)
    page.keyboard.press("a")
    expect(page.locator("#work-title")).to_have_text("账号被冻结")
    # Focus moves to what was opened once it has loaded; the agent's next key comes after that.
    expect(page.locator("#work-title")).to_be_focused()
    expect(page.get_by_label("回复客户")).to_be_visible()

    page.keyboard.press("r")
    expect(page.get_by_label("回复客户")).to_be_focused()
    page.keyboard.type("您好，我来帮您解封。")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#messages li.msg.agent")).to_have_count(1)

    page.keyboard.press("Escape")
    page.keyboard.press("e")
    expect(page.get_by_label("处理结果")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("处理结果")).to_have_value("solved")
    page.keyboard.press("Tab")
    expect(page.get_by_label("备注（可选）")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="解决")).to_be_focused()
    shot(page, "focus-visible")
    page.keyboard.press("Enter")
    expect(page.locator("#toast")).to_have_text("会话已解决")
    centre.call("admin", "PUT", f"/api/v1/agents/{agent['id']}/presence", {"presence": "offline"})


def test_english_is_remembered_and_covers_the_workspace(centre: Centre, page: Page, shot) -> None:
    """Switching to English changes every label, survives a reload, and the login page follows it."""
    centre.agent("ui.agent3")
    page.goto(centre.url)
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.get_by_role("button", name="切换到英文 (L)").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "en"
    shot(page, "login-en")

    page.get_by_label("Username").fill("ui.agent3")
    page.get_by_label("Password").fill("process-test-pass")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Incoming")).to_be_visible()
    expect(page.get_by_role("radio", name="Available")).to_be_visible()
    expect(page.locator("#live")).to_have_text("Live")
    # Only the logo (aria-hidden) and the name of the other language stay in Chinese.
    body = page.locator("body").inner_text().replace("中文", "").replace("客", "")
    assert not re.search(r"[\u4e00-\u9fff]", body), body
    shot(page, "workspace-en")


def test_workspace_at_200_percent_zoom_has_no_sideways_scrolling(centre: Centre, browser, shot) -> None:
    """At 200 % zoom (1280×800 seen as 640×400 CSS pixels) the columns stack and nothing overflows."""
    centre.agent("ui.agent4")
    context = browser.new_context(viewport={"width": 640, "height": 400}, device_scale_factor=2)
    try:
        page = context.new_page()
        sign_in(page, centre.url, "ui.agent4")
        expect(page.locator("#live")).to_have_text("实时")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        shot(page, "zoom-200", full_page=True)
    finally:
        context.close()


def test_agent_takes_a_callback_and_records_how_the_call_went(centre: Centre, page: Page, shot) -> None:
    """A callback due now is offered; the agent accepts it, sees the window, and records a reached call."""
    agent = centre.agent("ui.agent5")
    customer = centre.customer("刘芳", birth_date="1985-06-01")
    sign_in(page, centre.url, "ui.agent5")
    expect(page.locator("#live")).to_have_text("实时")
    page.get_by_role("radio", name="就绪").click()
    expect(page.get_by_role("radio", name="就绪")).to_have_attribute("aria-checked", "true")

    now = datetime.now(UTC)
    body = {
        "customer_id": customer,
        "reason": "付款失败，请回电",
        "window_start": (now - timedelta(minutes=1)).isoformat(),
        "window_end": (now + timedelta(hours=2)).isoformat(),
    }
    callback = centre.call("integration", "POST", "/api/v1/callbacks", body, expect=201)
    offer = page.locator("#offers li.offer")
    expect(offer).to_contain_text("回呼")
    offer.get_by_role("button", name="接受").click()
    expect(page.locator("#case-title")).to_have_text("回呼 · 付款失败，请回电")
    expect(page.locator("#customer-name")).to_have_text("刘芳")
    page.locator("#case-view").get_by_role("button", name="已接通").click()
    expect(page.locator("#case-view ul.compact")).to_contain_text("已接通")
    shot(page, "callback")
    assert centre.call("admin", "GET", f"/api/v1/callbacks/{callback['id']}")["status"] == "completed"
    centre.call("admin", "PUT", f"/api/v1/agents/{agent['id']}/presence", {"presence": "offline"})
