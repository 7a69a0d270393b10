"""Symptom episodes with honest durations, and their interval-censored estimate across a clinic.

A reported symptom opens an *episode*. What the software knows about when it ended is an interval:

    last seen present  <=  end  <=  first seen gone

"Seen present" is a check-in or an answer that says the symptom is there; "seen gone" is an answer
"it is gone" (optionally "at about ..."), a clinician closing it, or — for side effects only — a later
check-in that did not tick it ("gone by omission"). A red flag never closes by omission: only the
patient or a clinician closes it. An episode nobody has closed is right-censored at its last sighting.

"Longer than usual" is said only when the episode was *seen present* after its route's
``longer_than_expected_after_min`` (core ``side_effects.toml``), or the patient said it ended after it,
or the patient says so — never inferred from the gap between two check-ins.

The clinic's report estimates the distribution of durations from these intervals with Turnbull's
non-parametric maximum-likelihood estimator (self-consistency / EM): :func:`turnbull`. Times are minutes
after the start of dosing; the clock is never read here (``now`` is a parameter).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Kind = Literal["side_effect", "red_flag"]
# Who made an observation: a check-in that ticked it or not, the "is it gone?" prompt, a clinician.
Source = Literal["checkin", "omission", "prompt", "clinician"]
ClosedBy = Literal["omission", "patient", "clinician", "new_dose"]


class EpisodeError(ValueError):
    """Invalid episode input; the message names the value."""


@dataclass(frozen=True, slots=True)
class Observation:
    """One sighting: at ``minutes`` after the dose the symptom was present (or not).

    ``reported_end_min`` is set when the patient answered "gone, at about ..." (minutes after the dose).
    ``says_longer`` records the patient's own "this is lasting longer than usual".
    """

    minutes: float
    present: bool
    source: Source = "checkin"
    reported_end_min: float | None = None
    says_longer: bool = False


@dataclass(frozen=True, slots=True)
class Episode:
    """A symptom episode's facts: its kind, onset, expected window and the sightings so far."""

    kind: Kind
    first_reported_min: float
    observations: tuple[Observation, ...] = ()
    onset_min: float | None = None  # "started about 30 min after the session" (patient's estimate)
    expected_resolution_min: float | None = None
    longer_after_min: float | None = None


@dataclass(frozen=True, slots=True)
class Duration:
    """What can honestly be said about an episode's end (minutes after the dose).

    ``end_after_min`` is the last time it was seen present; ``end_before_min`` the first time it was
    seen gone (None: still open, right-censored). ``end_min`` is the patient's own "gone at about ..."
    when given (inside the interval), else None.
    """

    open: bool
    end_after_min: float
    end_before_min: float | None
    end_min: float | None
    closed_by: ClosedBy | None
    longer_than_usual: bool
    seen_after_window: bool

    @property
    def interval(self) -> tuple[float, float]:
        """(L, R) for the estimator: exact when the patient gave the time, R = inf while open."""
        if self.end_min is not None:
            return (self.end_min, self.end_min)
        return (self.end_after_min, math.inf if self.end_before_min is None else self.end_before_min)


_CLOSED_BY: dict[Source, ClosedBy] = {
    "omission": "omission",
    "prompt": "patient",
    "checkin": "patient",
    "clinician": "clinician",
}


def may_close_by_omission(kind: Kind) -> bool:
    """A side effect may be closed by a check-in that no longer ticks it; a red flag never is."""
    return kind == "side_effect"


def _closing(obs: Observation, kind: Kind) -> bool:
    if obs.present:
        return False
    return obs.source != "omission" or may_close_by_omission(kind)


def duration(episode: Episode) -> Duration:
    """The episode's end as an interval, who closed it, and whether it honestly ran longer than usual.

    An omission never closes a red flag; a sighting after a closing one is ignored here (the caller
    opens a new episode for a symptom reported again).
    """
    last_present = episode.first_reported_min
    says_longer = False
    closing: Observation | None = None
    for obs in sorted(episode.observations, key=lambda o: o.minutes):
        if not math.isfinite(obs.minutes):
            raise EpisodeError(f"observation time {obs.minutes!r} is not a finite number of minutes")
        if obs.present:
            if obs.minutes < episode.first_reported_min:
                continue
            last_present = max(last_present, obs.minutes)
            says_longer = says_longer or obs.says_longer
            continue
        if obs.minutes >= last_present and _closing(obs, episode.kind):
            closing = obs
            says_longer = says_longer or obs.says_longer
            break
    end_before = closing.minutes if closing is not None else None
    end_min = None
    if closing is not None and closing.reported_end_min is not None:
        # The patient's "gone at about ...": kept inside what was observed.
        end_min = min(max(closing.reported_end_min, last_present), closing.minutes)
    closed_by: ClosedBy | None = None
    if closing is not None:
        closed_by = _CLOSED_BY[closing.source]
    threshold = episode.longer_after_min
    seen_after = threshold is not None and last_present > threshold
    ended_late = threshold is not None and end_min is not None and end_min > threshold
    return Duration(
        open=closing is None,
        end_after_min=last_present,
        end_before_min=end_before,
        end_min=end_min,
        closed_by=closed_by,
        longer_than_usual=seen_after or ended_late or says_longer,
        seen_after_window=seen_after,
    )


def prompt_times(episode: Episode) -> tuple[float, ...]:
    """When the companion asks "is it gone?": at the end of the expected window, and again later.

    The two times are the route's ``resolution_min`` and ``longer_than_expected_after_min`` from the
    knowledge base (no new number). A red flag has no expected window: it is asked about at every
    check-in until the patient or a clinician closes it, so it has no timed prompt.
    """
    if episode.kind == "red_flag" or episode.expected_resolution_min is None:
        return ()
    times = {episode.expected_resolution_min}
    if episode.longer_after_min is not None:
        times.add(max(episode.longer_after_min, episode.expected_resolution_min))
    return tuple(sorted(times))


def prompt_due(episode: Episode, *, now_min: float) -> float | None:
    """The prompt time now due for an open episode (the latest passed one not yet answered), else None."""
    if not duration(episode).open:
        return None
    asked = [episode.first_reported_min]
    asked += [o.minutes for o in episode.observations if o.source in ("prompt", "checkin", "clinician")]
    due = None
    for t in prompt_times(episode):
        if t <= now_min and not any(a >= t for a in asked):
            due = t
    return due


# --- the clinic's estimate -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MassInterval:
    """A Turnbull innermost interval [left, right] and the probability mass the NPMLE puts in it."""

    left: float
    right: float
    mass: float


@dataclass(frozen=True, slots=True)
class IntervalEstimate:
    """The NPMLE of the end-time distribution, and how many episodes were still open when last asked."""

    n: int
    still_open: int
    masses: tuple[MassInterval, ...]
    iterations: int

    @property
    def share_open(self) -> float:
        """The share of episodes still open (right-censored) when last asked."""
        return self.still_open / self.n if self.n else 0.0

    def survival_bounds(self, t: float) -> tuple[float, float]:
        """P(still present at t): (lowest, highest) over where the mass may sit inside each interval."""
        gone_surely = sum(m.mass for m in self.masses if m.right <= t)
        gone_maybe = sum(m.mass for m in self.masses if m.left <= t)
        return (max(0.0, 1.0 - gone_maybe), max(0.0, 1.0 - gone_surely))

    def median_bounds(self) -> tuple[float, float] | None:
        """The interval in which the median end time lies, None when less than half the mass is placed
        at finite times (too many still open to say)."""
        lower = upper = None
        cumulative = 0.0
        for m in self.masses:
            cumulative += m.mass
            if cumulative >= 0.5 - 1e-9:
                if not math.isfinite(m.right):
                    return None
                lower, upper = m.left, m.right
                break
        if lower is None or upper is None:
            return None
        return (lower, upper)


def innermost_intervals(intervals: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Turnbull's innermost intervals of closed intervals [L, R]: a left end directly followed by a right
    end in the sorted list of all ends (ties: left ends first, so touching intervals overlap)."""
    ends: list[tuple[float, int]] = []
    for left, right in intervals:
        ends.append((left, 0))
        ends.append((right, 1))
    ends.sort()
    return [(a, b) for (a, ka), (b, kb) in zip(ends, ends[1:], strict=False) if ka == 0 and kb == 1]


def turnbull(
    intervals: Sequence[tuple[float, float]],
    *,
    weights: Sequence[float] | None = None,
    tolerance: float = 1e-10,
    max_iterations: int = 10_000,
) -> IntervalEstimate:
    """Turnbull's NPMLE for interval-censored end times [L, R] (R = inf: still open when last asked).

    ``weights`` counts identical intervals (default 1 each), so a clinic's report can pass each distinct
    interval once. Self-consistency (EM) iterations from equal masses until the largest change is
    below ``tolerance``.
    """
    for left, right in intervals:
        if not (math.isfinite(left) and left >= 0) or math.isnan(right) or right < left:
            raise EpisodeError(f"interval [{left!r}, {right!r}] is not 0 <= L <= R")
    w = np.ones(len(intervals)) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (len(intervals),) or (w < 0).any():
        raise EpisodeError("weights: one non-negative number per interval")
    n = float(w.sum())
    still_open = int(round(sum(wi for (_, right), wi in zip(intervals, w, strict=True) if math.isinf(right))))
    if not intervals or n == 0:
        return IntervalEstimate(0, 0, (), 0)
    support = innermost_intervals(intervals)
    lefts = np.array([left for left, _ in intervals])[:, None]
    rights = np.array([right for _, right in intervals])[:, None]
    q = np.array([a for a, _ in support])[None, :]
    p = np.array([b for _, b in support])[None, :]
    alpha = ((lefts <= q) & (p <= rights)).astype(float)
    s = np.full(len(support), 1.0 / len(support))
    iterations = 0
    for iterations in range(1, max_iterations + 1):  # noqa: B007 - the count is reported
        totals = alpha @ s
        new = s * ((w / totals) @ alpha) / n
        change = float(np.max(np.abs(new - s)))
        s = new
        if change < tolerance:
            break
    masses = tuple(MassInterval(a, b, float(m)) for (a, b), m in zip(support, s, strict=True))
    return IntervalEstimate(n=int(round(n)), still_open=still_open, masses=masses, iterations=iterations)
