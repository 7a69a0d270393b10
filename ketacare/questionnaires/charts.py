"""Server-rendered SVG line charts: plain coordinates for an accessible template (no JavaScript)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

WIDTH, HEIGHT = 340, 180
LEFT, RIGHT, TOP, BOTTOM = 34, 10, 10, 26


@dataclass
class Chart:
    """What the SVG template draws: a polyline, points, y ticks, session markers and the data rows."""

    title: str
    description: str
    y_label: str
    points: list[dict[str, object]] = field(default_factory=list)
    polyline: str = ""
    y_ticks: list[dict[str, object]] = field(default_factory=list)
    markers: list[dict[str, object]] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_bottom: int = HEIGHT - BOTTOM
    plot_top: int = TOP
    first_label: str = ""
    last_label: str = ""


def line_chart(
    *,
    title: str,
    description: str,
    y_label: str,
    series: Sequence[tuple[dt.datetime, float]],
    y_min: float,
    y_max: float,
    markers: Sequence[dt.datetime] = (),
) -> Chart:
    """Lay out ``series`` (time, value) between ``y_min`` and ``y_max`` with vertical session markers."""
    chart = Chart(title=title, description=description, y_label=y_label)
    if not series:
        return chart
    times = [t for t, _ in series] + list(markers)
    start, end = min(times), max(times)
    span = max((end - start).total_seconds(), 1.0)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    y_span = (y_max - y_min) or 1.0

    def x_of(t: dt.datetime) -> float:
        return round(LEFT + (t - start).total_seconds() / span * plot_w, 1)

    def y_of(v: float) -> float:
        return round(TOP + (1 - (v - y_min) / y_span) * plot_h, 1)

    chart.points = [{"x": x_of(t), "y": y_of(v), "value": f"{v:g}", "when": t} for t, v in series]
    chart.polyline = " ".join(f"{p['x']},{p['y']}" for p in chart.points)
    chart.y_ticks = [{"y": y_of(v), "label": f"{v:g}"} for v in (y_min, (y_min + y_max) / 2, y_max)]
    chart.markers = [{"x": x_of(t), "when": t} for t in markers if start <= t <= end]
    chart.first_label = f"{start:%d %b}"
    chart.last_label = f"{end:%d %b}"
    return chart
