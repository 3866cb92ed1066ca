"""Service reports over HTTP against hand-computed figures on a small centre built through the API.

The fixture (times in seconds after 01:00 UTC on a fixed day, 09:00 in Beijing; payments and social
answer within 20 s):

    c1 payments  C1(shenzhen)  open 0, assigned A1(shenzhen) 10, reply 40, resolved 310, CSAT 5 at 800
    c2 payments  C2(wuhan)     open 100, assigned A2(chengdu) 130, reply 330, resolved 730, CSAT 2 at 800
    c3 social    C2(wuhan)     open 200, abandoned 250 (never answered)
    commendation for A1 from C1 (c1) at 900; complaint against A2 from C2 (c2) at 950
    c4 payments  C1(shenzhen)  open 3600, assigned A1 3605, resolved 3665 (no reply)
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from kefu.bootstrap import Kefu
from kefu.domain.clock import FakeClock
from kefu.domain.users import SYSTEM_ACTOR
from kefu.services.reports import service as reports
from tests.conftest import Database, asgi_client, make_user, running_kefu, settings_for

D0 = datetime(2026, 10, 5, tzinfo=UTC)  # a fixed day: the machine's date and hour play no part
H0 = D0 + timedelta(hours=1)


def _z(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


DAY = {"from": _z(D0), "to": _z(D0 + timedelta(days=1))}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(H0)


@pytest_asyncio.fixture
async def centre_kefu(database: Database, clock: FakeClock) -> AsyncIterator[Kefu]:
    """A kefu on a clock the fixture moves; nobody is available, so every assignment is by hand."""
    async with running_kefu(settings_for(database), clock) as k:
        yield k


class Built:
    def __init__(self, client: httpx.AsyncClient, kefu: Kefu, clock: FakeClock) -> None:
        self.c, self.kefu, self.clock = client, kefu, clock
        self.sup: dict[str, str] = {}
        self.integ: dict[str, str] = {}
        self.ids: dict[str, str] = {}

    def at(self, seconds: float) -> None:
        target = H0 + timedelta(seconds=seconds)
        assert target >= self.clock.now()
        self.clock.advance((target - self.clock.now()).total_seconds())

    async def post(self, path: str, body: Any, headers: dict[str, str], expect: int = 201) -> Any:
        r = await self.c.post(path, json=body, headers=headers)
        assert r.status_code == expect, r.text
        return r.json()

    async def agent(self, name: str, site: str) -> str:
        body = {"name": name, "site": site, "skills": {"payments": 3, "social": 3}, "capacity": {"chat": 2}}
        return str((await self.post("/api/v1/agents", body, self.sup))["id"])

    async def customer(self, external_id: str, site: str) -> str:
        body = {"external_id": external_id, "name": "客户", "home_site": site}
        return str((await self.post("/api/v1/customers", body, self.integ))["id"])

    async def open(self, customer: str, line: str) -> str:
        body = {"customer_id": customer, "business_line": line, "channel": "chat", "subject": "问题"}
        return str((await self.post("/api/v1/conversations", body, self.integ))["id"])

    async def act(self, conv: str, action: str, body: Any = None, expect: int = 200) -> Any:
        return await self.post(f"/api/v1/conversations/{conv}/{action}", body, self.sup, expect)

    async def build(self) -> None:
        self.sup = await make_user(self.kefu, "sup", "supervisor")
        self.integ = await make_user(self.kefu, "gateway", "integration")
        a1, a2 = await self.agent("A1", "shenzhen"), await self.agent("A2", "chengdu")
        c1cust, c2cust = await self.customer("C1", "shenzhen"), await self.customer("C2", "wuhan")
        self.ids.update(a1=a1, a2=a2, C1=c1cust, C2=c2cust)
        c1 = await self.open(c1cust, "payments")
        self.at(10)
        await self.act(c1, "assign", {"agent_id": a1})
        self.at(40)
        await self.act(c1, "messages", {"body": "您好"}, expect=201)
        self.at(100)
        c2 = await self.open(c2cust, "payments")
        self.at(130)
        await self.act(c2, "assign", {"agent_id": a2})
        self.at(200)
        c3 = await self.open(c2cust, "social")
        self.at(250)
        await self.c.post(f"/api/v1/conversations/{c3}/abandon", headers=self.integ)
        self.at(310)
        await self.act(c1, "resolve", {"disposition": "solved"})
        self.at(330)
        await self.act(c2, "messages", {"body": "您好"}, expect=201)
        self.at(730)
        await self.act(c2, "resolve", {"disposition": "solved"})
        self.at(800)
        await self.post(f"/api/v1/conversations/{c1}/csat", {"score": 5}, self.integ)
        await self.post(f"/api/v1/conversations/{c2}/csat", {"score": 2, "comment": "慢"}, self.integ)
        self.at(900)
        body = {"customer_id": c1cust, "conversation_id": c1, "message": "耐心细致"}
        await self.post(f"/api/v1/agents/{a1}/commendations", body, self.integ)
        self.at(950)
        body = {"customer_id": c2cust, "conversation_id": c2, "category": "attitude", "text": "态度不好"}
        await self.post("/api/v1/complaints", body, self.integ)
        self.at(3600)
        c4 = await self.open(c1cust, "payments")
        self.at(3605)
        await self.act(c4, "assign", {"agent_id": a1})
        self.at(3665)
        await self.act(c4, "resolve", {"disposition": "solved"})
        self.ids.update(c1=c1, c2=c2, c3=c3, c4=c4)


@pytest_asyncio.fixture
async def built(centre_kefu: Kefu, clock: FakeClock) -> AsyncIterator[Built]:
    async with asgi_client(centre_kefu) as client:
        b = Built(client, centre_kefu, clock)
        await b.build()
        yield b


ZERO = {"commendations": 0, "complaints": 0, "cases": 0, "saved": 0, "transferred": 0}

BY_SITE_DAY = {
    "shenzhen": {
        "contacts": 2, "answered": 2, "abandoned": 0, "service_level_pct": 100.0, "asa_s": 7.5,
        "aht_s": 180.0, "frt_s": 40.0, "occupancy": 0.05, "csat_avg": 5.0, "csat_count": 1,
        **ZERO, "commendations": 1,
    },
    "chengdu": {
        "contacts": 1, "answered": 1, "abandoned": 0, "service_level_pct": 0.0, "asa_s": 30.0,
        "aht_s": 600.0, "frt_s": 230.0, "occupancy": 0.1667, "csat_avg": 2.0, "csat_count": 1,
        **ZERO, "complaints": 1,
    },
    "wuhan": {
        "contacts": 1, "answered": 0, "abandoned": 1, "service_level_pct": 0.0, "asa_s": None,
        "aht_s": None, "frt_s": None, "occupancy": None, "csat_avg": None, "csat_count": 0, **ZERO,
    },
}  # fmt: skip

BY_QUEUE_HOUR = {
    (_z(H0), "payments"): {
        "contacts": 2, "answered": 2, "abandoned": 0, "service_level_pct": 50.0, "asa_s": 20.0,
        "aht_s": 450.0, "frt_s": 135.0, "occupancy": 0.125, "csat_avg": 3.5, "csat_count": 2,
        **ZERO, "commendations": 1, "complaints": 1,
    },
    (_z(H0), "social"): {
        "contacts": 1, "answered": 0, "abandoned": 1, "service_level_pct": 0.0, "asa_s": None,
        "aht_s": None, "frt_s": None, "occupancy": None, "csat_avg": None, "csat_count": 0, **ZERO,
    },
    (_z(H0 + timedelta(hours=1)), "payments"): {
        "contacts": 1, "answered": 1, "abandoned": 0, "service_level_pct": 100.0, "asa_s": 5.0,
        "aht_s": 60.0, "frt_s": None, "occupancy": 0.0167, "csat_avg": None, "csat_count": 0, **ZERO,
    },
}  # fmt: skip


def _rows(body: dict[str, Any]) -> dict[Any, dict[str, Any]]:
    out = {}
    for row in body["rows"]:
        bucket = _z(datetime.fromisoformat(row.pop("bucket")).astimezone(UTC))
        key = row.pop("key")
        out[(bucket, key)] = row
    return out


async def _report(b: Built, **params: str) -> dict[Any, dict[str, Any]]:
    r = await b.c.get("/api/v1/reports/service", params={**DAY, **params}, headers=b.sup)
    assert r.status_code == 200, r.text
    return _rows(r.json())


async def test_report_by_site_and_day_matches_hand_computed_figures(built: Built) -> None:
    """Every figure per site for the day equals the value worked out by hand from the fixture."""
    rows = await _report(built, group_by="site", interval="day")
    assert rows == {(_z(D0), site): want for site, want in BY_SITE_DAY.items()}


async def test_report_by_queue_and_hour_matches_hand_computed_figures(built: Built) -> None:
    """Per queue and hour: service level counts only answers within 20 s over answered plus abandoned."""
    assert await _report(built, group_by="queue", interval="hour") == BY_QUEUE_HOUR


async def test_report_by_agent_and_business_line(built: Built) -> None:
    """By agent, the unanswered contact is under "none"; by business line, the two lines add up."""
    by_agent = await _report(built, group_by="agent", interval="day")
    day = _z(D0)
    assert set(by_agent) == {(day, built.ids["a1"]), (day, built.ids["a2"]), (day, "none")}
    assert by_agent[(day, built.ids["a1"])] == BY_SITE_DAY["shenzhen"]
    assert by_agent[(day, "none")]["abandoned"] == 1
    by_line = await _report(built, group_by="business_line", interval="day")
    assert {k: v["contacts"] for k, v in by_line.items()} == {(day, "payments"): 3, (day, "social"): 1}
    assert by_line[(day, "payments")]["service_level_pct"] == round(100 * 2 / 3, 2)


async def test_day_buckets_follow_the_time_zone(built: Built) -> None:
    """With tz=Asia/Shanghai the contacts of 01:00 and 02:00 UTC fall in the local day from 16:00 UTC."""
    rows = await _report(built, group_by="queue", interval="day", tz="Asia/Shanghai")
    assert {k: v["contacts"] for k, v in rows.items()} == {
        (_z(D0 - timedelta(hours=8)), "payments"): 3,
        (_z(D0 - timedelta(hours=8)), "social"): 1,
    }


async def test_rolled_up_and_mixed_reports_equal_the_live_report(built: Built) -> None:
    """After rolling up the first hour only, then the whole day, the report is unchanged."""
    live = await _report(built, group_by="site", interval="hour")
    bus = built.kefu.bus
    done = await bus.handle(reports.RollUpReports(H0, H0 + timedelta(hours=1)), SYSTEM_ACTOR)
    assert done["rows"] > 0
    assert await _report(built, group_by="site", interval="hour") == live
    await bus.handle(reports.RollUpReports(H0 - timedelta(hours=1), H0 + timedelta(hours=23)), SYSTEM_ACTOR)
    assert await _report(built, group_by="site", interval="hour") == live
    assert await _report(built, group_by="site", interval="day") == {
        (_z(D0), site): want for site, want in BY_SITE_DAY.items()
    }


async def test_scorecard_of_an_agent(built: Built) -> None:
    """A1's scorecard: two contacts, both within target, CSAT 5, one commendation (锦旗)."""
    r = await built.c.get(f"/api/v1/agents/{built.ids['a1']}/scorecard", params=DAY, headers=built.sup)
    assert r.status_code == 200, r.text
    card = r.json()
    assert card["name"] == "A1"
    assert card["site"] == "shenzhen"
    assert card["commendations_total"] == 1
    assert {k: card[k] for k in BY_SITE_DAY["shenzhen"]} == BY_SITE_DAY["shenzhen"]
    r = await built.c.get(
        f"/api/v1/agents/{built.ids['a1']}/scorecard", params={**DAY, "format": "csv"}, headers=built.sup
    )
    assert r.status_code == 200
    [row] = list(csv.DictReader(io.StringIO(r.text)))
    assert (row["contacts"], row["service_level_pct"], row["commendations_total"]) == ("2", "100.0", "1")


async def test_report_as_csv(built: Built) -> None:
    """?format=csv gives one header and one line per row, empty cells for figures without a value."""
    r = await built.c.get(
        "/api/v1/reports/service",
        params={**DAY, "group_by": "site", "interval": "day", "format": "csv"},
        headers=built.sup,
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(r.text)))
    assert [line["site"] for line in lines] == ["chengdu", "shenzhen", "wuhan"]
    assert lines[2]["asa_s"] == ""
    assert lines[1]["aht_s"] == "180.0"


async def test_a_transfer_counts_where_it_left_and_the_contact_once_where_it_ended(built: Built) -> None:
    """A1 takes c5 (payments) and transfers it to social, where A2 answers: payments, shenzhen and A1 show
    one transfer; the contact counts once, in social; rolled up, the report is the same; CSV has it."""
    built.at(3700)
    c5 = await built.open(built.ids["C1"], "payments")
    built.at(3710)
    await built.act(c5, "assign", {"agent_id": built.ids["a1"]})
    built.at(3720)
    await built.act(c5, "transfer", {"to_queue": "social", "note": "转社交"})
    built.at(3730)
    await built.act(c5, "assign", {"agent_id": built.ids["a2"]})
    hour = _z(H0 + timedelta(hours=1))
    by_queue = await _report(built, group_by="queue", interval="hour")
    assert {
        k: (v["contacts"], v["answered"], v["transferred"]) for k, v in by_queue.items() if k[0] == hour
    } == {
        (hour, "payments"): (1, 1, 1),
        (hour, "social"): (1, 1, 0),
    }
    by_site = await _report(built, group_by="site", interval="day")
    assert {k[1]: v["transferred"] for k, v in by_site.items()} == {"shenzhen": 1, "chengdu": 0, "wuhan": 0}
    by_agent = await _report(built, group_by="agent", interval="day")
    assert by_agent[(_z(D0), built.ids["a1"])]["transferred"] == 1
    assert sum(v["answered"] for v in by_agent.values()) == 4  # c1, c2, c4, c5: c5 once
    live = await _report(built, group_by="agent", interval="hour")
    bus = built.kefu.bus
    await bus.handle(reports.RollUpReports(H0 - timedelta(hours=1), H0 + timedelta(hours=23)), SYSTEM_ACTOR)
    assert await _report(built, group_by="agent", interval="hour") == live
    assert await _report(built, group_by="queue", interval="hour") == by_queue
    r = await built.c.get(
        "/api/v1/reports/service",
        params={**DAY, "group_by": "site", "interval": "day", "format": "csv"},
        headers=built.sup,
    )
    assert {line["site"]: line["transferred"] for line in csv.DictReader(io.StringIO(r.text))} == {
        "chengdu": "0",
        "shenzhen": "1",
        "wuhan": "0",
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday", "to": DAY["to"]}, "from"),
        ({"from": DAY["to"], "to": DAY["from"]}, "from"),
        ({**DAY, "group_by": "planet"}, "group_by"),
        ({**DAY, "interval": "week"}, "interval"),
        ({**DAY, "tz": "Mars/Olympus"}, "tz"),
        ({"from": "2020-01-01T00:00:00Z", "to": DAY["to"]}, "to"),
        ({"from": DAY["from"][:-1], "to": DAY["to"][:-1]}, "from"),
    ],
)
async def test_bad_report_windows_are_4xx_problems(
    centre_kefu: Kefu, params: dict[str, str], field: str
) -> None:
    """Bad dates, from after to, unknown group_by/interval/tz, too long a window: 422 problem+json."""
    # The request is refused before any figure is read, so an empty centre does (no fixture day to build).
    sup = await make_user(centre_kefu, "bad.windows", "supervisor")
    async with asgi_client(centre_kefu) as client:
        r = await client.get("/api/v1/reports/service", params=params, headers=sup)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in r.text


async def test_reports_are_for_supervisors_and_scorecards_for_their_agent(built: Built) -> None:
    """An agent may not read service reports nor another agent's scorecard; 403, not 500."""
    agent_headers = await make_user(built.kefu, "a3.user", "agent")
    r = await built.c.get("/api/v1/reports/service", params=DAY, headers=agent_headers)
    assert r.status_code == 403
    r = await built.c.get(f"/api/v1/agents/{built.ids['a1']}/scorecard", params=DAY, headers=agent_headers)
    assert r.status_code == 403
    r = await built.c.get("/api/v1/agents/nobody/scorecard", params=DAY, headers=built.sup)
    assert r.status_code == 404


def _svg_series(svg: str) -> dict[str, list[str]]:
    root = ET.fromstring(svg)  # noqa: S314 - kefu's own markup, parsed to check it
    ns = {"svg": "http://www.w3.org/2000/svg"}
    return {
        g.attrib["data-series"]: [m.attrib["data-y"] for m in g.findall("svg:circle", ns)]
        + [m.attrib["data-y"] for m in g.findall("svg:rect[@class='bar']", ns)]
        for g in root.findall(".//svg:g[@class='series']", ns)
    }


async def test_charts_are_svg_with_the_report_figures(built: Built) -> None:
    """The service-level chart by hour has one series per site with the report's values; bars per site."""
    params = {**DAY, "interval": "hour"}
    r = await built.c.get("/api/v1/reports/charts/service_level.svg", params=params, headers=built.sup)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("image/svg+xml")
    assert _svg_series(r.text) == {"chengdu": ["0"], "shenzhen": ["100", "100"], "wuhan": ["0"]}
    r = await built.c.get("/api/v1/reports/charts/volume_by_site.svg", params=DAY, headers=built.sup)
    assert _svg_series(r.text) == {"chengdu": ["1"], "shenzhen": ["2"], "wuhan": ["1"]}
    r = await built.c.get("/api/v1/reports/charts/pie.svg", params=DAY, headers=built.sup)
    assert r.status_code == 422
    r = await built.c.get("/api/v1/reports/charts/csat.svg", params=DAY)
    assert r.status_code == 401


async def test_staffing_view_from_observed_arrivals_and_handle_time(built: Built) -> None:
    """Payments saw 2 contacts at 01:00 and 1 at 02:00 in the last 7 days, AHT (300+600+60)/3 = 320 s."""
    r = await built.c.get("/api/v1/reports/staffing", params={"hours": 24}, headers=built.sup)
    assert r.status_code == 200, r.text
    queues = {q["queue"]: q for q in r.json()["queues"]}
    payments = queues["payments"]
    assert (payments["aht_s"], payments["aht_observed"]) == (320.0, True)
    assert payments["agents"] == {"available": 0, "away": 0, "offline": 2}
    by_hour = {datetime.fromisoformat(h["start"]).hour: h for h in payments["hours"]}
    assert by_hour[1]["forecast_contacts"] == round(2 / 7, 2)
    assert by_hour[1]["required_agents"] >= 1
    assert by_hour[5]["required_agents"] == 0
    assert queues["games"]["aht_observed"] is False
    r = await built.c.get("/api/v1/reports/staffing", params={"hours": 0}, headers=built.sup)
    assert r.status_code == 422


async def test_reports_page_and_assets_are_served(built: Built) -> None:
    """/reports is the HTML page with its script; unknown assets are 404 problems."""
    r = await built.c.get("/reports")
    assert r.status_code == 200
    assert "/static/js/console/reports.js" in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert (await built.c.get("/reports/assets/reports.css")).status_code == 200
    assert (await built.c.get("/reports/assets/reports.js")).status_code == 404
    assert (await built.c.get("/reports/assets/../../app.py")).status_code == 404
