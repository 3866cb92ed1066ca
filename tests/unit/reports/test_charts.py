"""Server-side SVG charts: well-formed XML with the expected series and values, no script."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from kefu.entrypoints.web.reports.charts import CHARTS, bar_chart, line_chart, render
from kefu.services.reports.service import ReportRow

NS = {"svg": "http://www.w3.org/2000/svg"}
T0 = datetime(2026, 11, 2, tzinfo=UTC)


def _series(svg: str) -> dict[str, list[str]]:
    root = ET.fromstring(svg)  # noqa: S314 - our own markup, parsed to check it
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert not root.findall(".//svg:script", NS)
    out = {}
    for g in root.findall(".//svg:g[@class='series']", NS):
        marks = g.findall("svg:circle", NS) + g.findall("svg:rect[@class='bar']", NS)
        out[g.attrib["data-series"]] = [m.attrib["data-y"] for m in marks]
    return out


def _row(day: int, site: str, **figures: float | None) -> ReportRow:
    base: dict[str, float | None] = {"contacts": 0, "service_level_pct": None, "csat_avg": None}
    return ReportRow(T0 + timedelta(days=day), site, {**base, **figures})


def test_line_chart_has_one_series_per_site_with_its_values() -> None:
    """Service level over three days at two sites: two series, three points each, values as given."""
    rows = [
        _row(0, "shenzhen", service_level_pct=80.0),
        _row(1, "shenzhen", service_level_pct=90.5),
        _row(2, "shenzhen", service_level_pct=100.0),
        _row(0, "wuhan", service_level_pct=50.0),
        _row(1, "wuhan", service_level_pct=60.0),
        _row(2, "wuhan", service_level_pct=70.0),
    ]
    assert _series(render("service_level", rows)) == {
        "shenzhen": ["80", "90.5", "100"],
        "wuhan": ["50", "60", "70"],
    }


def test_missing_ratio_is_a_gap_and_missing_volume_is_zero() -> None:
    """A site without contacts on a day has no CSAT point that day but a volume of zero."""
    rows = [_row(0, "hefei", contacts=3, csat_avg=4.5), _row(1, "chengdu", contacts=2, csat_avg=3.0)]
    assert _series(render("csat", rows)) == {"chengdu": ["3"], "hefei": ["4.5"]}
    assert _series(render("volume", rows)) == {"chengdu": ["0", "2"], "hefei": ["3", "0"]}


def test_bar_chart_per_site() -> None:
    """Per-site bars carry their value; a site without a value has a slot but no bar."""
    rows = [_row(0, "shenzhen", contacts=12), _row(0, "yinchuan", contacts=0)]
    assert _series(render("volume_by_site", rows)) == {"shenzhen": ["12"], "yinchuan": ["0"]}
    assert _series(bar_chart("t", [("a", None), ("b", 1.0)])) == {"a": [], "b": ["1"]}


def test_text_is_escaped_and_empty_charts_say_so() -> None:
    """Names with markup characters stay text; a chart without data is still valid SVG."""
    svg = line_chart("<b>&</b>", {"<x>": [(T0, 1.0)]})
    assert _series(svg) == {"<x>": ["1"]}
    empty = line_chart("empty", {})
    assert _series(empty) == {}
    assert "no data" in empty


def test_every_named_chart_renders_from_report_rows() -> None:
    """Each chart the API names renders from the same rows without error."""
    rows = [_row(0, "shenzhen", contacts=1, service_level_pct=100.0, csat_avg=5.0)]
    for name in CHARTS:
        assert _series(render(name, rows)) == {"shenzhen": [CHARTS_VALUE[CHARTS[name][1]]]}


CHARTS_VALUE = {"contacts": "1", "service_level_pct": "100", "csat_avg": "5"}


def test_an_axis_keeps_empty_buckets_and_sites_show_by_name() -> None:
    """Contacts on days 0 and 3 of a five-day axis: five points, zeros between; the legend names the site
    in the reader's language while data-series keeps its id; the title is in that language only."""
    rows = [_row(0, "shenzhen", contacts=4), _row(3, "shenzhen", contacts=2)]
    axis = [T0 + timedelta(days=d) for d in range(5)]
    svg = render("volume", rows, "zh", {"shenzhen": "深圳"}, axis)
    assert _series(svg) == {"shenzhen": ["4", "0", "0", "2", "0"]}
    assert "深圳" in svg and "各基地进线量" in svg and "Contacts" not in svg
    bars = render("volume_by_site", [_row(0, "wuhan", contacts=1)], "en", {"wuhan": "Wuhan"})
    assert ">Wuhan<" in bars and "Contacts per site" in bars
