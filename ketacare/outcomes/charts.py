"""Server-side SVG geometry for the outcomes page (no JavaScript; the template draws it)."""

from __future__ import annotations

from dataclasses import dataclass

from ketacare.core.stats import KaplanMeier

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 36


@dataclass(frozen=True)
class StepChart:
    width: int
    height: int
    path: str  # the survival step line
    band: str  # the confidence band polygon
    censor_marks: tuple[tuple[float, float], ...]
    x_ticks: tuple[tuple[float, str], ...]
    y_ticks: tuple[tuple[float, str], ...]
    median_x: float | None
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int


def km_step_chart(km: KaplanMeier) -> StepChart | None:
    """The Kaplan-Meier curve as an SVG step path with its log-log band; None without steps."""
    if not km.steps:
        return None
    max_t = max(s.time for s in km.steps) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(t: float) -> float:
        return round(LEFT + plot_w * t / max_t, 1)

    def y(s: float) -> float:
        return round(TOP + plot_h * (1 - s), 1)

    line = [f"M{x(0)},{y(1)}"]
    upper = [(x(0), y(1))]
    lower = [(x(0), y(1))]
    previous, prev_low, prev_high = 1.0, 1.0, 1.0
    censors = []
    for step in km.steps:
        line.append(f"H{x(step.time)}V{y(step.survival)}")
        upper += [(x(step.time), y(prev_high)), (x(step.time), y(step.high))]
        lower += [(x(step.time), y(prev_low)), (x(step.time), y(step.low))]
        if step.censored:
            censors.append((x(step.time), y(step.survival)))
        previous, prev_low, prev_high = step.survival, step.low, step.high
    line.append(f"H{x(max_t)}")
    upper.append((x(max_t), y(prev_high)))
    lower.append((x(max_t), y(prev_low)))
    band = " ".join(f"{a},{b}" for a, b in upper + lower[::-1])
    tick_step = _nice_step(max_t)
    x_ticks = []
    t = 0.0
    while t <= max_t + 1e-9:
        x_ticks.append((x(t), f"{t:g}"))
        t += tick_step
    y_ticks = tuple((y(v), f"{int(v * 100)}%") for v in (0, 0.25, 0.5, 0.75, 1.0))
    del previous
    return StepChart(
        WIDTH,
        HEIGHT,
        "".join(line),
        band,
        tuple(censors),
        tuple(x_ticks),
        y_ticks,
        x(km.median) if km.median is not None else None,
        LEFT,
        WIDTH - RIGHT,
        TOP,
        HEIGHT - BOTTOM,
    )


def _nice_step(span: float) -> float:
    for step in (1, 2, 5, 7, 10, 14, 28, 30, 60, 90, 180, 365):
        if span / step <= 8:
            return float(step)
    return float(round(span / 8))


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    share: float | None
    y: float
    width: float


def funnel_bars(planned: int, steps: list[tuple[str, int, float | None]]) -> tuple[Bar, ...]:
    """Horizontal bars, one per funnel step, scaled to the planned count (width in viewBox units)."""
    rows = [("Plan made", planned, 1.0 if planned else None), *steps]
    return tuple(
        Bar(label, value, share, 8 + 28 * i, round(400 * (value / planned), 1) if planned else 0.0)
        for i, (label, value, share) in enumerate(rows)
    )
