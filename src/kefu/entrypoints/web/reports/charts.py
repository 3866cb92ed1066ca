"""Server-side SVG charts: a line chart over time and a bar chart per group, with no script and no CDN.

Each series is a ``<g class="series" data-series="…">`` holding a ``<polyline>`` and one ``<circle>`` per
point (``data-x``, ``data-y``), so tests and assistive tools can read the values back from the markup.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NamedTuple
from xml.sax.saxutils import escape, quoteattr

from kefu.services.reports.service import ReportRow

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 130, 36, 40
PALETTE = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0969da", "#57606a")

Point = tuple[datetime, float | None]


def _nice_max(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value``: a round top for the axis."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    return float(next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= value))


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.2f}".rstrip("0").rstrip(".")


def _frame(title: str, y_max: float, unit: str) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" aria-label={quoteattr(title)} '
        'font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="20" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for i in range(5):
        value = y_max * i / 4
        y = TOP + plot_h - plot_h * i / 4
        out.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            'stroke="#d0d7de" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(value)}{escape(unit)}</text>'
        )
    return out


def _empty(text: str) -> str:
    return f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" class="empty">{escape(text)}</text>'


def line_chart(
    title: str,
    series: Mapping[str, Sequence[Point]],
    unit: str = "",
    y_max: float | None = None,
    names: Mapping[str, str] | None = None,
    empty: str = "no data",
    axis: Sequence[datetime] = (),
) -> str:
    """Lines over time, one per series; a missing value (``None``) breaks the line. The x axis holds every
    time in ``axis`` as well as the series' own, evenly spaced."""
    xs = sorted({x for points in series.values() for x, _ in points} | set(axis))
    values = [y for points in series.values() for _, y in points if y is not None]
    top = y_max if y_max is not None else _nice_max(max(values, default=0.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    index = {x: i for i, x in enumerate(xs)}

    def px(x: datetime) -> float:
        return LEFT + (plot_w * index[x] / (len(xs) - 1) if len(xs) > 1 else plot_w / 2)

    def py(y: float) -> float:
        return TOP + plot_h - plot_h * min(y, top) / top

    out = _frame(title, top, unit)
    step = max(1, len(xs) // 6)
    for x in xs[::step]:
        label = x.strftime("%m-%d") if x.hour == 0 and x.minute == 0 else x.strftime("%m-%d %H:%M")
        out.append(
            f'<text x="{px(x):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{escape(label)}</text>'
        )
    if not series:
        out.append(_empty(empty))
    for n, (name, points) in enumerate(sorted(series.items())):
        colour = PALETTE[n % len(PALETTE)]
        out.append(f'<g class="series" data-series={quoteattr(name)}>')
        run: list[str] = []
        runs: list[list[str]] = [run]
        for x, y in sorted(points):
            if y is None:
                run = []
                runs.append(run)
                continue
            run.append(f"{px(x):.1f},{py(y):.1f}")
        for r in runs:
            if len(r) > 1:
                out.append(
                    f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(r)}"/>'
                )
        for x, y in sorted(points):
            if y is not None:
                out.append(
                    f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.5" fill="{colour}" '
                    f'data-x="{x.isoformat()}" data-y="{y:g}"/>'
                )
        legend_y = TOP + 14 * n
        out.append(f'<rect x="{WIDTH - RIGHT + 10}" y="{legend_y}" width="10" height="10" fill="{colour}"/>')
        shown = (names or {}).get(name, name)
        out.append(f'<text x="{WIDTH - RIGHT + 24}" y="{legend_y + 9}">{escape(shown)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def bar_chart(
    title: str,
    bars: Sequence[tuple[str, float | None]],
    unit: str = "",
    y_max: float | None = None,
    names: Mapping[str, str] | None = None,
    empty: str = "no data",
) -> str:
    """One bar per group; a group without a value gets an empty slot."""
    values = [v for _, v in bars if v is not None]
    top = y_max if y_max is not None else _nice_max(max(values, default=0.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    out = _frame(title, top, unit)
    slot = plot_w / max(1, len(bars))
    if not bars:
        out.append(_empty(empty))
    for n, (name, value) in enumerate(bars):
        x = LEFT + slot * n + slot * 0.15
        out.append(f'<g class="series" data-series={quoteattr(name)}>')
        if value is not None:
            h = plot_h * min(value, top) / top
            out.append(
                f'<rect class="bar" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{slot * 0.7:.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[n % len(PALETTE)]}" data-y="{value:g}"/>'
            )
            out.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{TOP + plot_h - h - 4:.1f}" text-anchor="middle">'
                f"{_fmt(value)}</text>"
            )
        out.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - BOTTOM + 16}" '
            f'text-anchor="middle">{escape((names or {}).get(name, name))}</text>'
        )
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


class Chart(NamedTuple):
    title_en: str
    figure: str
    unit: str
    top: float | None  # a fixed top of the axis
    over_time: bool  # lines over time rather than one bar per site
    title_zh: str


CHARTS: dict[str, Chart] = {
    "service_level": Chart(
        "Service level % by site", "service_level_pct", "%", 100.0, True, "各基地服务水平 %"
    ),
    "volume": Chart("Contacts by site", "contacts", "", None, True, "各基地进线量"),
    "csat": Chart("CSAT by site", "csat_avg", "", 5.0, True, "各基地满意度"),
    "service_level_by_site": Chart(
        "Service level % per site", "service_level_pct", "%", 100.0, False, "各基地服务水平 %（合计）"
    ),
    "volume_by_site": Chart("Contacts per site", "contacts", "", None, False, "各基地进线量（合计）"),
    "csat_by_site": Chart("CSAT per site", "csat_avg", "", 5.0, False, "各基地满意度（合计）"),
}
NO_DATA = {"zh": "暂无数据", "en": "no data"}


def render(
    name: str,
    rows: Sequence[ReportRow],
    lang: str = "en",
    names: Mapping[str, str] | None = None,
    axis: Sequence[datetime] | None = None,
) -> str:
    """The chart ``name`` of report rows grouped by site (over time, or one row per site), titled in
    ``lang``, sites labelled by ``names`` (their ids stay in ``data-series``). Over time, ``axis`` lists
    every bucket of the window, so empty hours and days keep their place on a continuous axis."""
    chart = CHARTS[name]
    title = chart.title_zh if lang == "zh" else chart.title_en
    label = dict(names or {})
    empty = NO_DATA.get(lang, NO_DATA["en"])
    if not chart.over_time:
        bars = [(r.key, r.figures[chart.figure]) for r in rows]
        return bar_chart(title, bars, chart.unit, chart.top, label, empty)
    series: dict[str, list[Point]] = {}
    buckets = sorted({r.bucket for r in rows} | set(axis or ()))
    for key in sorted({r.key for r in rows}):
        have = {r.bucket: r.figures[chart.figure] for r in rows if r.key == key}
        # A bucket without contacts at a site is a zero for volume and a gap for ratios.
        series[key] = [(b, have.get(b, 0 if chart.figure == "contacts" else None)) for b in buckets]
    return line_chart(title, series, chart.unit, chart.top, label, empty, buckets)
