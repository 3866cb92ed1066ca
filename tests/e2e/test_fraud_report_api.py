"""The anti-fraud report over HTTP: a dissuaded case counts for the specialist who resolved it and their
base, with its time to first contact and the funds saved; JSON and CSV, names not ids."""

from __future__ import annotations

import csv
import io

from tests.clocks import clock_matrix
from tests.e2e.test_cases_api import Centre, centre, clock, kefu  # noqa: F401 - the scene's fixtures

pytestmark = clock_matrix


async def test_a_dissuaded_case_is_credited_to_its_specialist_and_base(centre: Centre) -> None:  # noqa: F811
    """One case held, taken, reached and dissuaded; another held and never taken: per site, Chongqing
    has one offered, answered and dissuaded with ¥49,000 saved, and "none" the case nobody took."""
    agent_id, specialist = await centre.specialist("li.na")
    customer = await centre.customer("u-report")
    held = await centre.screen("rep-1", customer, 4_900_000)
    assert held["decision"] == "hold"
    case_id = await centre.accept(agent_id, specialist)
    centre.clock.advance(45)
    assert (await centre.attempt(case_id, "reached", specialist)).status_code == 201
    assert (await centre.resolve(case_id, "dissuaded", specialist, "冒充军人")).status_code == 200
    other = await centre.customer("u-report-2")
    # The payee is a confirmed scammer by now: a block, which opens a case too.
    assert (await centre.screen("rep-2", other, 3_000_000))["decision"] in {"hold", "block"}

    r = await centre.c.get("/api/v1/reports/fraud", headers=centre.sup)  # no window: today in Beijing
    assert r.status_code == 200, r.text
    rows = {row["key"]: row for row in r.json()["rows"]}
    cq = rows["chongqing"]
    assert (cq["name"], cq["offered"], cq["answered"], cq["dissuaded"], cq["released"]) == (
        "重庆",
        1,
        1,
        1,
        0,
    )
    assert cq["saved"] == {"CNY": 4_900_000}
    assert cq["first_contact_s"] is not None and cq["first_contact_s"] >= 45
    assert (rows["none"]["offered"], rows["none"]["answered"], rows["none"]["saved"]) == (1, 0, {})

    r = await centre.c.get(
        "/api/v1/reports/fraud", params={"group_by": "specialist", "lang": "en"}, headers=centre.sup
    )
    by_agent = {row["key"]: row for row in r.json()["rows"]}
    assert (by_agent[agent_id]["name"], by_agent[agent_id]["site"]) == ("li.na", "chongqing")

    r = await centre.c.get(
        "/api/v1/reports/fraud", params={"format": "csv", "lang": "en"}, headers=centre.sup
    )
    assert r.headers["content-type"].startswith("text/csv")
    lines = {line["key"]: line for line in csv.DictReader(io.StringIO(r.text))}
    assert (lines["chongqing"]["name"], lines["chongqing"]["saved_CNY"]) == ("Chongqing", "4900000")
