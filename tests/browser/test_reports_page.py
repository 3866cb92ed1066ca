"""The /reports page in a real browser: the server-rendered SVG charts and the staffing table appear."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Centre, sign_in

pytestmark = pytest.mark.browser


def test_reports_page_shows_charts_and_staffing(centre: Centre, page: Page, shot) -> None:
    """After a resolved, rated contact every chart holds an SVG with a series; staffing lists the queues."""
    agent = centre.agent("ui.reporter", site="chengdu", role="supervisor")
    customer = centre.customer("孙丽")
    conv = centre.contact(customer, "payments", "转账失败", "转账一直失败，怎么办？")
    centre.call("admin", "POST", f"/api/v1/conversations/{conv}/assign", {"agent_id": agent["id"]})
    centre.call("admin", "POST", f"/api/v1/conversations/{conv}/resolve", {"disposition": "solved"})
    centre.call("integration", "POST", f"/api/v1/conversations/{conv}/csat", {"score": 5}, expect=201)

    sign_in(page, centre.url, "ui.reporter")
    page.goto(f"{centre.url}/reports")
    expect(page.locator("body")).to_have_attribute("data-loaded", "true")
    for name in (
        "service_level",
        "volume",
        "csat",
        "service_level_by_site",
        "volume_by_site",
        "csat_by_site",
    ):
        chart = page.locator(f'figure[data-chart="{name}"] svg')
        expect(chart).to_be_visible()
        expect(chart.locator('g.series[data-series="chengdu"]')).to_have_count(1)
    expect(page.locator('figure[data-chart="csat"] svg circle[data-y="5"]')).to_have_count(1)
    expect(page.locator('#staffing tr[data-queue="payments"]')).to_have_count(1)
    expect(page.locator("#status")).to_have_text("")
    shot(page, "reports", full_page=True)
