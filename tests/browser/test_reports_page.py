"""The /reports page in a real browser: charts in the reader's language with sites by name on a continuous
time axis, tables by queue, site and agent with names, the anti-fraud and staffing views, CSV downloads."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Centre, sign_in
from tests.browser.patience import patient_expect  # noqa: F401 - the fixture, used by pytestmark

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]
CHARTS = ("service_level", "volume", "csat", "service_level_by_site", "volume_by_site", "csat_by_site")


def test_reports_page_shows_charts_and_staffing(centre: Centre, page: Page, shot) -> None:
    """After a resolved, rated contact every chart holds an SVG with a series; staffing lists the queues;
    in Chinese the sites are named in Chinese, the hourly axis has all 24 hours of the day, agents and
    queues appear by name; in English every label switches; a table downloads as CSV."""
    agent = centre.agent("ui.reporter", site="chengdu", role="supervisor")
    customer = centre.customer("孙丽")
    conv = centre.contact(customer, "payments", "转账失败", "转账一直失败，怎么办？")
    centre.call("admin", "POST", f"/api/v1/conversations/{conv}/assign", {"agent_id": agent["id"]})
    centre.call("admin", "POST", f"/api/v1/conversations/{conv}/resolve", {"disposition": "solved"})
    centre.call("integration", "POST", f"/api/v1/conversations/{conv}/csat", {"score": 5}, expect=201)

    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, centre.url, "ui.reporter")
    page.goto(f"{centre.url}/wallboard")
    page.locator('a[data-nav="reports"]').click()
    expect(page.locator("body")).to_have_attribute("data-loaded", "true")
    for name in CHARTS:
        chart = page.locator(f'figure[data-chart="{name}"] svg')
        expect(chart).to_be_visible()
        expect(chart.locator('g.series[data-series="chengdu"]')).to_have_count(1)
    expect(page.locator('figure[data-chart="csat"] svg circle[data-y="5"]')).to_have_count(1)
    # Hourly over one day: a point for each of the 24 hours, empty ones included (volume 0).
    volume = page.locator('figure[data-chart="volume"] g.series[data-series="chengdu"] circle')
    expect(volume).to_have_count(24)
    expect(page.locator('figure[data-chart="volume"] svg')).to_contain_text("成都")
    expect(page.locator('figure[data-chart="volume"] svg')).to_contain_text("各基地进线量")
    expect(page.locator('figure[data-chart="volume"] svg')).not_to_contain_text("Contacts")
    expect(page.locator("#by-site")).to_contain_text("成都")
    expect(page.locator("#by-agent")).to_contain_text("李静")
    expect(page.locator("#by-agent")).not_to_contain_text(agent["id"])
    expect(page.locator("#by-queue")).to_contain_text("Payments 支付")
    expect(page.locator('#staffing tr[data-queue="payments"]')).to_have_count(1)
    expect(page.locator("#staffing thead")).to_contain_text("在线")
    expect(page.locator("#staffing-chart g.hour")).to_have_count(8)
    expect(page.locator("#status")).to_have_text("")
    shot(page, "reports-zh-1440", full_page=True)

    with page.expect_download() as download:
        page.locator('button[data-csv="by-site"]').click()
    assert download.value.suggested_filename == "service-by-site.csv"
    with open(download.value.path(), encoding="utf-8") as f:
        assert f.readline().startswith("bucket,site,")

    page.keyboard.press("l")
    expect(page.locator('figure[data-chart="volume"] svg')).to_contain_text("Chengdu")
    expect(page.locator('figure[data-chart="volume"] svg')).to_contain_text("Contacts by site")
    expect(page.locator('figure[data-chart="volume"] svg')).not_to_contain_text("进线量")
    expect(page.locator("#by-site")).to_contain_text("Chengdu")
    expect(page.locator("#staffing thead")).to_contain_text("Available")
    expect(page.locator("main")).not_to_contain_text("各基地")
    page.set_viewport_size({"width": 1920, "height": 1080})
    shot(page, "reports-en-1920", full_page=True)
