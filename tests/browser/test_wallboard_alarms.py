"""The wallboard as a supervisor meets it: an unstaffed centre alarms, and a dropped stream after the
session ended greys the figures and asks to sign in again. Screenshots at 1440 and at 1920 (wall display)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Centre, sign_in
from tests.browser.patience import patient_expect  # noqa: F401 - the fixture, used by pytestmark

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]
RETRY_DEADLINE_MS = 45_000  # the stream's reconnect backs off up to 30 s


def test_an_unstaffed_centre_alarms_with_the_longest_wait_in_red(centre: Centre, page: Page, shot) -> None:
    """Customers wait, nothing was answered and no agent is available: the queue's tile is red with its
    longest wait (never "no data"), the centre alarm says nobody is available, filters narrow the board,
    and the wall-display mode keeps it all at 1920 wide."""
    centre.agent("wb.alarm.sup", site="hefei", role="supervisor")
    customer = centre.customer("钱芳")
    centre.contact(customer, "social", "账号冻结", "我的账号被冻结了。")
    centre.contact(customer, "social", "账号冻结", "还是登录不了。")
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, centre.url, "wb.alarm.sup")
    page.goto(f"{centre.url}/wallboard")
    social = page.locator('#queues li[data-queue="social"]')
    expect(social).to_have_attribute("data-level", "alarm")
    expect(social.locator(".badge")).to_have_text("无人接听")
    expect(social.locator(".waiting")).to_have_text("2")
    expect(social.locator(".longest")).to_have_class(re.compile("lvl-(warn|alarm)"))
    expect(social.locator(".longest")).not_to_have_text("0 秒")
    expect(social).not_to_contain_text("暂无数据")
    unstaffed = page.locator('#alarms li[data-code="unstaffed"]')
    expect(unstaffed).to_have_attribute("data-level", "alarm")
    expect(unstaffed).to_contain_text("全中心没有可用坐席（2 位客户在等待）")
    expect(page.locator('#alarms li[data-code="unanswered"][data-queue="social"]')).to_be_visible()
    expect(page.locator('#agents tr[data-state="offline"]')).to_have_count(1)
    shot(page, "unstaffed-1440", full_page=True)

    page.locator("#filter-line").select_option("games")
    expect(page.locator("#queues li")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"line=games"))
    page.locator("#filter-line").select_option("")
    page.locator("#filter-site").select_option("hefei")
    expect(page.locator("#sites tr")).to_have_count(1)

    page.set_viewport_size({"width": 1920, "height": 1080})
    page.locator("#wall-toggle").click()
    expect(page.locator("body")).to_have_class(re.compile(r"\bwall\b"))
    expect(page).to_have_url(re.compile(r"wall=1"))
    shot(page, "wall-1920")
    page.keyboard.press("l")
    expect(unstaffed).to_contain_text("No agent is available anywhere")
    shot(page, "wall-1920-english")


def test_after_the_session_ends_the_figures_go_stale_and_a_sign_in_is_asked(
    centre: Centre, page: Page, shot
) -> None:
    """The session is ended while the stream is open, then the stream drops (the server goes away): the
    board is greyed "数据已过期" at once and its waits stop; when the server is back the page asks to sign in
    again instead of retrying quietly."""
    centre.agent("wb.stale.sup", site="chengdu", role="supervisor")
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, centre.url, "wb.stale.sup")
    page.goto(f"{centre.url}/wallboard")
    expect(page.locator("#live")).to_have_text("实时")
    expect(page.locator("#board")).to_have_attribute("data-stale", "false")

    centre.call("admin", "POST", "/api/v1/users/wb.stale.sup/disable")
    centre.server.kill()
    try:
        expect(page.locator("#stale")).to_contain_text("数据已过期")
        expect(page.locator("#board")).to_have_attribute("data-stale", "true")
        expect(page.locator("#live")).to_have_text("重连中")
        shot(page, "stale-1440")
    finally:
        centre.server.start()
    # The client backs off while the server is away; a deadline for its next try, not a pause.
    prompt = page.get_by_role("alertdialog")
    expect(prompt).to_contain_text("登录已过期", timeout=RETRY_DEADLINE_MS)
    expect(prompt.get_by_role("link", name="重新登录")).to_have_attribute("href", "/")
    expect(page.locator("#board")).to_have_attribute("data-stale", "true")
    shot(page, "expired-1440")
    page.set_viewport_size({"width": 1920, "height": 1080})
    shot(page, "expired-1920")
