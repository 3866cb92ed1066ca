"""The /admin agents-and-routing tab in a real browser: add an agent (an unknown skill is refused with the
field named), change an agent's site and skills, add and remove a routing rule."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Centre, sign_in
from tests.browser.patience import patient_expect  # noqa: F401 - the fixture, used by pytestmark

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]


def test_agents_and_routing_rules_are_kept_from_the_console(centre: Centre, page: Page, shot) -> None:
    """An admin adds an agent in Wuhan, is refused an unknown skill, moves the agent to Hefei with a new
    level, and adds then removes a rule sending elderly payments callers to elderly care."""
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, centre.url, "ui.admin")
    page.goto(f"{centre.url}/admin#staff")
    form = page.locator("#agent-form")
    form.locator('input[name="name"]').fill("陈晨")
    form.locator('select[name="site"]').select_option("wuhan")
    form.locator('input[name="skills"]').fill("payments:4, cooking:2")
    form.locator("button[type=submit]").click()
    expect(page.locator('[data-outcome="agent"]')).to_contain_text("cooking")
    form.locator('input[name="skills"]').fill("payments:4, anti_fraud:3")
    form.locator("button[type=submit]").click()
    expect(page.locator('[data-outcome="agent"]')).to_have_text("已创建")
    agents = centre.call("admin", "GET", "/api/v1/agents?limit=200")["items"]
    (made,) = [a for a in agents if a["name"] == "陈晨"]
    assert (made["site"], made["skills"], made["capacity"]) == (
        "wuhan",
        {"payments": 4, "anti_fraud": 3},
        {"chat": 2, "voice": 1, "callback": 1},
    )
    row = page.locator(f'#staff tr[data-agent="{made["id"]}"]')
    row.locator("select.site").select_option("hefei")
    row.locator("input.skills").fill("payments:5, anti_fraud:3")
    row.locator("button.save").click()
    expect(page.locator(f'[data-outcome="{made["id"]}"]')).to_have_text("已保存")
    changed = centre.call("admin", "GET", f"/api/v1/agents/{made['id']}")
    assert (changed["site"], changed["skills"]["payments"]) == ("hefei", 5)

    rule = page.locator("#rule-form")
    rule.locator('select[name="queue"]').select_option("elderly_care")
    rule.locator('input[name="business_line"]').fill("payments")
    rule.locator('select[name="care"]').select_option("yes")
    rule.locator("button[type=submit]").click()
    added = page.locator("#rules tbody tr", has_text="Elderly care 关爱老人")
    expect(added).to_have_count(1)
    shot(page, "staff-1440", full_page=True)
    page.set_viewport_size({"width": 1920, "height": 1080})
    shot(page, "staff-1920")
    added.locator("button.remove").click()
    expect(added).to_have_count(0)
    assert all(r["queue"] != "elderly_care" for r in centre.call("admin", "GET", "/api/v1/routing-rules"))
