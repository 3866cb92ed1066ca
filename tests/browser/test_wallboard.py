"""The supervisor wallboard in a real browser: pushed over the event stream, no reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Centre, sign_in

pytestmark = pytest.mark.browser


def test_wallboard_moves_live_when_contacts_arrive_and_go(centre: Centre, page: Page, shot) -> None:
    """A new contact raises "waiting" and an abandoned one turns its queue's tile to the alert style."""
    centre.agent("ui.supervisor", site="wuhan", role="supervisor")
    sign_in(page, centre.url, "ui.supervisor")
    page.get_by_role("link", name="监控大屏").click()
    expect(page).to_have_url(f"{centre.url}/wallboard")
    expect(page.locator("#live")).to_have_text("实时")
    games = page.locator('#queues li[data-queue="games"]')
    expect(games.locator(".waiting")).to_have_text("0")
    expect(page.locator('#sites tr[data-site="wuhan"] td.offline')).to_have_text("1")
    shot(page, "quiet")

    page.evaluate("window.__sameDocument = true")
    customer = centre.customer("赵磊")
    first = centre.contact(customer, "games", "充值未到账", "充值了68元，钻石没有到账。")
    expect(games.locator(".waiting")).to_have_text("1")
    centre.contact(customer, "games", "账号被盗", "我的游戏账号被盗了。")
    expect(games.locator(".waiting")).to_have_text("2")
    # Waiting with nothing answered is red at once, never "no data"; not yet below target (no SL).
    expect(games).to_have_attribute("data-level", "alarm")
    expect(games.locator(".badge")).to_have_text("无人接听")
    expect(games).not_to_have_class(re.compile(r"\bbelow\b"))

    centre.call("integration", "POST", f"/api/v1/conversations/{first}/abandon")
    expect(games.locator(".waiting")).to_have_text("1")
    expect(games).to_have_class(re.compile(r"\bbelow\b"))
    below = page.locator('#alarms li[data-code="below_target"][data-queue="games"]')
    expect(below).to_contain_text("低于服务水平目标")
    assert page.evaluate("window.__sameDocument") is True  # the page was never reloaded
    shot(page, "below-target")

    page.keyboard.press("l")
    expect(below).to_contain_text("below service-level target")
    expect(page.locator('#sites tr[data-site="wuhan"] th')).to_have_text("Wuhan")
    expect(page.locator("#fraud .saved .muted")).to_have_text("Funds saved today")
    shot(page, "english")
