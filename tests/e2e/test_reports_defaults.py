"""Report endpoints answer without ``from``/``to``: today in the centre's zone (Asia/Shanghai), by the
injected clock, whatever the machine's hour."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
import pytest_asyncio

from kefu.domain.clock import FakeClock
from tests.conftest import Database, asgi_client, make_user, running_kefu, settings_for

# 23:30 UTC on 5 Oct is 07:30 on 6 Oct in Beijing: "today" is the Beijing day, not the UTC one.
NOW = datetime(2026, 10, 5, 23, 30, tzinfo=UTC)
TODAY = ("2026-10-05T16:00:00Z", "2026-10-06T16:00:00Z")


@pytest_asyncio.fixture
async def client(database: Database) -> AsyncIterator[httpx.AsyncClient]:
    async with running_kefu(settings_for(database), FakeClock(NOW)) as k, asgi_client(k) as c:
        c.headers.update(await make_user(k, "rep.sup", "supervisor"))
        yield c


def _z(text: str) -> str:
    return text.replace("+00:00", "Z")


async def test_the_service_report_defaults_to_today_in_beijing(client: httpx.AsyncClient) -> None:
    """No window: today's Beijing midnight to the next; ``from`` alone runs to the end of its local day."""
    r = await client.get("/api/v1/reports/service", params={"group_by": "site", "interval": "hour"})
    assert r.status_code == 200, r.text
    assert (_z(r.json()["from"]), _z(r.json()["to"])) == TODAY
    r = await client.get("/api/v1/reports/service", params={"from": "2026-10-03T16:00:00Z"})
    assert (_z(r.json()["from"]), _z(r.json()["to"])) == ("2026-10-03T16:00:00Z", "2026-10-04T16:00:00Z")
    r = await client.get("/api/v1/reports/service", params={"to": "2026-10-03T16:00:00Z"})
    assert (_z(r.json()["from"]), _z(r.json()["to"])) == ("2026-10-02T16:00:00Z", "2026-10-03T16:00:00Z")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/reports/service?format=csv",
        "/api/v1/reports/charts/volume.svg",
        "/api/v1/reports/charts/volume_by_site.svg",
        "/api/v1/stats/fraud",
    ],
)
async def test_every_report_endpoint_answers_without_a_window(client: httpx.AsyncClient, path: str) -> None:
    """The CSV, the charts and the fraud figures answer 200 with no ``from``/``to``."""
    r = await client.get(path)
    assert r.status_code == 200, r.text


async def test_an_hourly_chart_has_every_hour_of_the_day_named_sites_in_the_readers_language(
    client: httpx.AsyncClient,
) -> None:
    """With no contacts at all the hourly chart still spans 24 hours on its axis; its title is Chinese or
    English as asked, never both."""
    zh = (
        await client.get("/api/v1/reports/charts/volume.svg", params={"interval": "hour", "lang": "zh"})
    ).text
    assert "各基地进线量" in zh and "Contacts" not in zh
    assert "暂无数据" in zh
    en = (
        await client.get("/api/v1/reports/charts/volume.svg", params={"interval": "hour", "lang": "en"})
    ).text
    assert "Contacts by site" in en and "进线量" not in en
