"""Headers and leaks: CSP on every HTML page, CSV cells that cannot run as formulas, quiet tracebacks."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from kefu.bootstrap import Kefu
from kefu.entrypoints.api.reports.routes import csv_cell


@pytest.mark.parametrize("path", ["/", "/wallboard", "/static/index.html", "/static/wallboard.html", "/docs"])
async def test_every_html_page_has_a_csp_that_forbids_framing(api: httpx.AsyncClient, path: str) -> None:
    """Every HTML response, the static files included, carries a CSP with frame-ancestors 'none'."""
    r = await api.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


async def test_api_answers_say_nosniff(api: httpx.AsyncClient) -> None:
    """JSON answers are never sniffed as something else."""
    assert (await api.get("/healthz")).headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("王秀英", "王秀英"),
        (-5, -5),
        (None, ""),
    ],
)
def test_csv_cells_that_would_run_as_formulas_are_escaped(value: object, cell: object) -> None:
    """Text starting with = + - @ tab or CR gets a leading apostrophe; numbers stay numbers."""
    assert csv_cell(value) == cell


async def test_a_scorecard_csv_escapes_a_formula_in_an_agent_name(
    api: httpx.AsyncClient, kefu: Kefu, headers: dict[str, dict[str, str]]
) -> None:
    """An agent named like a formula appears as text in the scorecard CSV."""
    body = {"name": "=1+2", "site": "wuhan", "skills": {"social": 3}, "capacity": {"chat": 2}}
    agent = await api.post("/api/v1/agents", json=body, headers=headers["admin"])
    assert agent.status_code == 201, agent.text
    r = await api.get(
        f"/api/v1/agents/{agent.json()['id']}/scorecard",
        params={"format": "csv", "from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"},
        headers=headers["admin"],
    )
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.text)))
    cells = [c for row in rows for c in row]
    assert "=1+2" not in cells
    assert all(not c.startswith(("=", "+", "@")) for c in cells)
