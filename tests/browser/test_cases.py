"""An intervention case in a real browser: held payment to dissuaded, funds saved rising on the wallboard."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import Centre, sign_in
from tests.clocks import ELDERLY_BIRTH_DATE, daytime_at_or_before

pytestmark = pytest.mark.browser


def test_specialist_dissuades_a_scam_and_the_wallboard_shows_funds_saved(
    centre: Centre, browser: Browser, shot
) -> None:
    """A hold opens a case; the specialist accepts, sees every decision input, reveals and dials the payer's
    number, records the call with a note, dissuades; the wallboard moves without reload."""
    centre.agent("ui.supervisor", site="chengdu", role="supervisor")
    centre.agent("ui.specialist")
    board_context = browser.new_context(viewport={"width": 1280, "height": 800})
    agent_context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        board = board_context.new_page()
        sign_in(board, centre.url, "ui.supervisor")
        board.goto(f"{centre.url}/wallboard")
        expect(board.locator("#live")).to_have_text("实时")
        expect(board.locator("#fraud-panel")).to_be_visible()
        expect(board.locator("#fraud .open-cases .figure")).to_have_text("0")
        board.evaluate("window.__sameDocument = true")

        desk = agent_context.new_page()
        sign_in(desk, centre.url, "ui.specialist")
        expect(desk.locator("#live")).to_have_text("实时")
        desk.get_by_role("radio", name="就绪").click()
        expect(desk.get_by_role("radio", name="就绪")).to_have_attribute("aria-checked", "true")

        payer = centre.customer("王秀英", birth_date=ELDERLY_BIRTH_DATE.isoformat())
        payment = {
            "payment_id": "pay-ui-border-1",
            "payer": {"customer_id": payer},
            "payee": {"account_id": "acct-ui-bianfang", "name": "边防战士 李强", "kind": "individual"},
            "amount": 10_000_000,
            "currency": "CNY",
            "channel": "transfer",
            "memo": "给边防战士的捐款",
            # The server runs on the real clock, so the payment is recent; but its own time is daytime in
            # Beijing at any hour, so the night rule never turns this hold into a block.
            "created_at": daytime_at_or_before(datetime.now(UTC)).isoformat(),
        }
        decision = centre.call("integration", "POST", "/api/v1/payments/screen", payment)
        assert decision["decision"] == "hold", decision

        expect(board.locator("#fraud .open-cases .figure")).to_have_text("1")
        expect(board.locator("#fraud .held .figure")).to_contain_text("100,000.00")
        saved_before = board.locator("#fraud .saved .figure").inner_text()
        shot(board, "wallboard-case-open")

        offer = desk.locator("#offers li.offer")
        expect(offer).to_contain_text("干预案件")
        shot(desk, "case-offer")
        offer.get_by_role("button", name="接受").click()
        expect(desk.locator("#case-title")).to_contain_text("干预案件")
        expect(desk.locator("#case-view .amount")).to_contain_text("100,000.00")
        expect(desk.locator("#case-view .playbook li").first).to_be_visible()
        expect(desk.locator("#worklist button.item[data-kind=case]")).to_have_count(1)
        expect(desk.locator("#customer-name")).to_have_text("王秀英")
        expect(desk.locator("#risk-cases")).to_contain_text("100,000.00")

        # Every decision input beside the amount: score and rule set, the hold's date and time left, the
        # payment's time, channel and memo, the payee's account, kind and age, the device signals.
        view = desk.locator("#case-view")
        expect(desk.locator("#case-score")).to_have_text(re.compile(r"^\d+$"))
        expect(desk.locator("#case-rules")).not_to_be_empty()
        expect(desk.locator("#case-hold")).to_contain_text(re.compile(r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}"))
        expect(desk.locator("#case-hold")).to_contain_text("剩余")
        payment_facts = desk.locator("#case-payments")
        for shown in ("给边防战士的捐款", "acct-ui-bianfang", "转账", "个人", "首次出现", "持有中", "无异常"):
            expect(payment_facts).to_contain_text(shown)
        expect(desk.locator("#case-alerts")).to_be_visible()
        expect(desk.locator("#case-next-due")).not_to_be_empty()

        expect(view).not_to_contain_text("13812345678")  # masked until revealed
        view.locator("[data-target=payer]").get_by_role("button", name="显示完整号码").click()
        expect(view.locator("[data-target=payer] .phone")).to_have_text("13812345678")
        view.get_by_role("button", name="呼叫付款人").click()
        expect(desk.locator("#case-call-result a.call-link")).to_have_attribute("href", "tel:13812345678")
        desk.get_by_label("联系备注").fill("本人接听，已说明冒充军人诈骗")
        desk.locator("#case-view").get_by_role("button", name="已接通").click()
        expect(desk.locator("#case-attempt-list")).to_contain_text("已接通 · 本人接听，已说明冒充军人诈骗")
        expect(desk.locator("#case-attempt-list")).to_contain_text(re.compile(r"\d{4}/\d{2}/\d{2}"))
        shot(desk, "case-view", full_page=True)
        desk.locator("#case-view").get_by_role("button", name="劝阻成功（止付）").click()
        expect(desk.locator("#case-status")).to_have_text("劝阻成功（止付）")

        expect(board.locator("#fraud .saved .figure")).to_contain_text("100,000.00")
        expect(board.locator("#fraud .open-cases .figure")).to_have_text("0")
        assert "100,000.00" not in saved_before
        assert board.evaluate("window.__sameDocument") is True  # no reload
        shot(board, "wallboard-funds-saved")
    finally:
        agent_context.close()
        board_context.close()
