"""Published response, remission and relapse figures to show beside a clinic's own numbers.

From the clinical brief section 5c; every figure cites source ids that resolve in the knowledge
base's ``sources.toml``. Figures the brief marks UNVERIFIED are left out on purpose. The wording
matters as much as the numbers: open-label series report higher rates than randomised and
meta-analytic data, and patient-facing text should say "about half respond" (brief 5c).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Measure = Literal["response", "remission", "median_days_to_relapse", "relapse"]


@dataclass(frozen=True, slots=True)
class PublishedFigure:
    """One published figure: a rate (0..1) or a number of days, with its setting and design."""

    measure: Measure
    low: float
    high: float
    setting: str
    design: str  # "RCT", "MA" (meta-analysis), "OL" (open-label)
    sources: tuple[str, ...]
    # A pooled estimate reported as centre ± spread: shown first, so "45% (35–55%)" reads beside the
    # summary's "about 45–55%" as the same figure, not as a lower one.
    centre: float | None = None

    def label(self) -> str:
        """The figure as text: a percentage (its centre first, then its range) or days."""
        if self.measure == "median_days_to_relapse":
            return f"{self.low:g} days"
        if self.low == self.high:
            return f"{self.low * 100:.1f}%"
        spread = f"{self.low * 100:.0f}–{self.high * 100:.0f}%"
        return f"{self.centre * 100:.0f}% ({spread})" if self.centre is not None else spread


PUBLISHED: tuple[PublishedFigure, ...] = (
    PublishedFigure(
        "response", 0.35, 0.55, "Real-world TRD, 79 studies (45% ± 10%)", "MA", ("Alnefeesi2022",), 0.45
    ),
    PublishedFigure(
        "remission", 0.241, 0.359, "Real-world TRD, 79 studies (30% ± 5.9%)", "MA", ("Alnefeesi2022",), 0.30
    ),
    PublishedFigure(
        "response", 0.398, 0.522, "One infusion, 9 RCTs (n=368): 24 h to day 7", "MA", ("Han2016",)
    ),
    PublishedFigure(
        "remission", 0.206, 0.262, "One infusion, 9 RCTs (n=368): 24 h to day 7", "MA", ("Han2016",)
    ),
    PublishedFigure(
        "response", 0.554, 0.554, "IV ketamine vs ECT, QIDS-SR16 ≥50% fall", "RCT", ("Anand2023",)
    ),
    PublishedFigure(
        "remission", 0.46, 0.46, "IV ketamine vs ECT, inpatients, MADRS ≤10", "RCT", ("Ekstrand2022",)
    ),
    PublishedFigure(
        "response", 0.675, 0.675, "6 IV infusions over 12 days, after infusion 6", "OL", ("Zheng2019",)
    ),
    PublishedFigure(
        "remission", 0.481, 0.481, "6 IV infusions over 12 days, after infusion 6", "OL", ("Zheng2019",)
    ),
    PublishedFigure("response", 0.708, 0.708, "6 IV infusions over 12 days (n=24)", "OL", ("Murrough2013b",)),
    PublishedFigure(
        "median_days_to_relapse",
        18,
        18,
        "Responders after 6 IV infusions, from the last infusion",
        "OL",
        ("Murrough2013b",),
    ),
    PublishedFigure(
        "relapse",
        0.267,
        0.453,
        "Esketamine stable remitters: on esketamine vs placebo (SUSTAIN-1)",
        "RCT",
        ("Daly2019",),
    ),
)

# The summary of the table above in words (brief 5c); test_published_outcomes holds it to the table's
# figures, so the sentence and the rows cannot drift apart.
HONEST_NOTE = (
    "Randomised and meta-analytic data show about 45–55% response and 20–46% remission; open-label "
    "series of six infusions report about 70% response (67.5% and 70.8%) and 48% remission. A clinic's "
    "own patients differ from trial populations (selection, definitions, follow-up), so these are "
    "context, not targets or comparisons of quality."
)


def published(measure: Measure) -> tuple[PublishedFigure, ...]:
    """The published figures for one measure, in the order above."""
    return tuple(f for f in PUBLISHED if f.measure == measure)
