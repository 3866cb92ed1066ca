"""The /admin work tab in a real browser: a complaint through its lifecycle (a blank one refused with the
field named), a payee on and off the watchlist (a removal needs a reason), a callback cancelled with one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Centre, sign_in
from tests.browser.patience import patient_expect  # noqa: F401 - the fixture, used by pytestmark

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]


def test_complaints_watchlist_and_callbacks_are_worked_from_the_console(
    centre: Centre, page: Page, shot
) -> None:
    """Take down a complaint, investigate and uphold it; watchlist a payee and take it off with a reason;
    cancel a scheduled callback with a reason; every step is in the audit log."""
    centre.agent("work.sup", site="hefei", role="supervisor")
    customer = centre.customer("冯军")
    start = datetime.now(UTC) + timedelta(hours=2)
    callback = centre.call(
        "integration",
        "POST",
        "/api/v1/callbacks",
        {
            "customer_id": customer,
            "reason": "请下午回电",
            "window_start": start.isoformat(),
            "window_end": (start + timedelta(hours=2)).isoformat(),
        },
        expect=201,
    )
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, centre.url, "work.sup")
    page.goto(f"{centre.url}/admin#work")

    form = page.locator("#complaint-form")
    form.locator('input[name="customer_id"]').fill(customer)
    form.locator('select[name="category"]').select_option("attitude")
    form.locator("button[type=submit]").click()
    expect(page.locator('[data-outcome="complaint"]')).to_contain_text("text")  # the blank field is named
    form.locator('input[name="text"]').fill("坐席态度差，挂断电话。")
    form.locator("button[type=submit]").click()
    row = page.locator('#complaints tr[data-status="open"]')
    expect(row).to_contain_text("坐席态度差")
    row.locator("button.investigate").click()
    row = page.locator('#complaints tr[data-status="investigating"]')
    row.locator("input.note").fill("录音已核实")
    row.locator("button.uphold").click()
    expect(page.locator('#complaints tr[data-status="upheld"] td.status')).to_have_text("成立")

    watch = page.locator("#watchlist-form")
    watch.locator('input[name="account_id"]').fill("acct-console-scam")
    watch.locator('input[name="reason"]').fill("警方通报")
    watch.locator("button[type=submit]").click()
    entry = page.locator('#watchlist tr[data-account="acct-console-scam"]')
    expect(entry).to_contain_text("警方通报")
    entry.locator("button.remove").click()
    expect(entry.locator(".problem")).to_be_visible()  # no reason: refused
    entry.locator("input.reason").fill("误报，已核实")
    entry.locator("button.remove").click()
    expect(entry).to_have_count(0)

    cb = page.locator(f'#callbacks tr[data-callback="{callback["id"]}"]')
    cb.locator("input.reason").fill("客户已自行解决")
    cb.locator("button.cancel").click()
    expect(page.locator(f'#callbacks tr[data-callback="{callback["id"]}"] td.status')).to_have_text(
        "cancelled"
    )

    kb = page.locator("#kb-form")
    kb.locator('input[name="id"]').fill("console-refund-zh")
    kb.locator('input[name="title"]').fill("如何申请退款")
    kb.locator("button[type=submit]").click()
    expect(page.locator('[data-outcome="kb"]')).to_contain_text("body")  # blank body refused, field named
    kb.locator('textarea[name="body"]').fill("在订单页点击申请退款，退款三个工作日内原路退回。")
    kb.locator("button[type=submit]").click()
    expect(page.locator('#articles tr[data-article="console-refund-zh"]')).to_contain_text("如何申请退款")
    page.locator('#kb-preview input[name="q"]').fill("怎么申请退款")
    page.locator("#kb-preview button[type=submit]").click()
    expect(page.locator("#kb-answer")).to_be_visible()
    shot(page, "work-1440", full_page=True)
    page.set_viewport_size({"width": 1920, "height": 1080})
    shot(page, "work-1920")

    entries = centre.call("admin", "GET", "/api/v1/audit?actor=work.sup&limit=50")["items"]
    actions = {e["action"] for e in entries}
    assert {"callback.cancelled"} <= actions, actions
