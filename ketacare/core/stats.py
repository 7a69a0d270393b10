"""Small, well-known statistics for clinic outcomes: Wilson intervals, Kaplan-Meier, medians.

Pure Python plus numpy; no Django, no clock, no I/O. The apps aggregate in the database and
pass plain counts in (the Kaplan-Meier estimator also accepts counts grouped by time, so a clinic
of 100,000 patients is summarised by the database into a few hundred rows before it gets here).

References:

- E. B. Wilson (1927). Probable inference, the law of succession, and statistical inference.
  J. Am. Stat. Assoc. 22(158):209-212.
- A. Agresti, B. A. Coull (1998). Approximate is better than "exact" for interval estimation of
  binomial proportions. Am. Stat. 52(2):119-126.
- E. L. Kaplan, P. Meier (1958). Nonparametric estimation from incomplete observations.
  J. Am. Stat. Assoc. 53(282):457-481.
- M. Greenwood (1926). The natural duration of cancer. Reports on Public Health and Medical
  Subjects 33. HMSO. (Greenwood's variance formula.)
- J. D. Kalbfleisch, R. L. Prentice (2002). The Statistical Analysis of Failure Time Data, 2nd ed.,
  section 1.4 (the log-log transformed confidence interval used here).
- R. Brookmeyer, J. Crowley (1982). A confidence interval for the median survival time.
  Biometrics 38(1):29-41. (Median as the first time the survival drops to 0.5 or below.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

# The standard normal's quantiles come from the standard library (Wichura's AS241, within 2e-15 of
# scipy's): scipy.stats would add about 1.5 s to the start-up of every process (web, worker, CLI).
_NORMAL = NormalDist()

# Two-sided 95%: the 0.975 quantile of the standard normal, 1.959963984540054.
Z_95 = _NORMAL.inv_cdf(0.975)


@dataclass(frozen=True, slots=True)
class Proportion:
    """``successes`` out of ``n`` with its point estimate and a two-sided confidence interval."""

    successes: int
    n: int
    estimate: float
    low: float
    high: float
    confidence: float


def _check_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or int(value) < 0:
        raise ValueError(f"{name} must be a whole number of at least 0, got {value!r}")
    return int(value)


def wilson_interval(successes: int, n: int, *, confidence: float = 0.95) -> Proportion:
    """Wilson score interval for a binomial proportion ``successes / n`` (Wilson 1927).

    With p = k/n and z the (1 + confidence)/2 normal quantile::

        centre    = (p + z^2 / (2n)) / (1 + z^2 / n)
        halfwidth = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / (4 n^2))

    Unlike the Wald interval it stays inside [0, 1] and keeps a sensible width at k = 0 and
    k = n, which matters for small clinic cohorts (Agresti and Coull 1998). Raises ``ValueError``
    when ``n`` is 0 (no interval exists), when ``successes`` is not in 0..n, or when
    ``confidence`` is not strictly between 0 and 1.
    """
    k = _check_count("successes", successes)
    total = _check_count("n", n)
    if total == 0:
        raise ValueError("n must be at least 1 for a proportion; got 0")
    if k > total:
        raise ValueError(f"successes {k} is more than n {total}; expected 0..{total}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence {confidence!r} must be strictly between 0 and 1")
    z = Z_95 if confidence == 0.95 else _NORMAL.inv_cdf((1 + confidence) / 2)
    p = k / total
    z2 = z * z
    denominator = 1 + z2 / total
    centre = (p + z2 / (2 * total)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total))
    # At k = 0 the lower bound is exactly 0 and at k = n the upper bound exactly 1 (the square root
    # equals z / (2n) there); clamp the rounding residue so the bounds are exact.
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == total else min(1.0, centre + half)
    return Proportion(k, total, p, low, high, confidence)


@dataclass(frozen=True, slots=True)
class SurvivalStep:
    """The Kaplan-Meier estimate just after ``time``.

    ``at_risk``: subjects still under observation just before ``time``; ``events`` and ``censored``
    at ``time``. ``survival`` is S(time); ``std_err`` its Greenwood standard error; ``low``/``high``
    the log-log confidence interval (equal to ``survival`` where it is 1 or 0, where the transform
    is undefined).
    """

    time: float
    at_risk: int
    events: int
    censored: int
    survival: float
    std_err: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class KaplanMeier:
    """A Kaplan-Meier step function: one step per distinct time (events or censorings)."""

    steps: tuple[SurvivalStep, ...]
    n: int
    events: int
    median: float | None
    confidence: float

    def survival_at(self, time: float) -> float:
        """S(time): the survival of the last step at or before ``time`` (1 before the first)."""
        value = 1.0
        for step in self.steps:
            if step.time > time:
                break
            value = step.survival
        return value


def kaplan_meier(
    times: Sequence[float], events: Sequence[bool | int], *, confidence: float = 0.95
) -> KaplanMeier:
    """Kaplan-Meier estimate from one (time, event) pair per subject (Kaplan and Meier 1958).

    ``times``: follow-up in any unit (days in KetaCare), >= 0. ``events``: 1/True when the event
    (relapse) happened at that time, 0/False when the subject was censored then. See
    :func:`kaplan_meier_from_counts` for the estimator; this groups the pairs by time first.
    """
    if len(times) != len(events):
        raise ValueError(f"times ({len(times)}) and events ({len(events)}) must have the same length")
    t = np.asarray(times, dtype=float)
    e = np.asarray(events, dtype=bool)
    if t.size and (not np.all(np.isfinite(t)) or t.min() < 0):
        raise ValueError("times must be finite and at least 0")
    unique = np.unique(t)
    n_events = [int(np.sum(e & (t == u))) for u in unique]
    n_censored = [int(np.sum(~e & (t == u))) for u in unique]
    return kaplan_meier_from_counts(unique.tolist(), n_events, n_censored, confidence=confidence)


def kaplan_meier_from_counts(
    times: Sequence[float],
    events: Sequence[int],
    censored: Sequence[int],
    *,
    confidence: float = 0.95,
) -> KaplanMeier:
    """Kaplan-Meier estimate from counts grouped by distinct time (what a GROUP BY returns).

    For each distinct time t_i (sorted), with n_i at risk just before t_i and d_i events::

        S(t)        = prod_{t_i <= t} (1 - d_i / n_i)                         (Kaplan and Meier 1958)
        Var[S(t)]   = S(t)^2 * sum_{t_i <= t} d_i / (n_i (n_i - d_i))         (Greenwood 1926)
        CI          = S(t) ** exp(+-z * se(log(-log S)))  with
        se(log(-log S)) = sqrt(sum d_i / (n_i (n_i - d_i))) / |log S(t)|      (Kalbfleisch and Prentice)

    Censorings at t_i are counted at risk at t_i (the usual convention: censored just after).
    The median is the first time with S(t) <= 0.5 (Brookmeyer and Crowley 1982), None if S never
    reaches 0.5. Raises ``ValueError`` on negative or non-finite times, repeated times, or
    negative counts.
    """
    if not len(times) == len(events) == len(censored):
        raise ValueError("times, events and censored must have the same length")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence {confidence!r} must be strictly between 0 and 1")
    z = Z_95 if confidence == 0.95 else _NORMAL.inv_cdf((1 + confidence) / 2)
    rows = sorted(
        (float(t), _check_count("events", d), _check_count("censored", c))
        for t, d, c in zip(times, events, censored, strict=True)
    )
    for index, (t, _, _) in enumerate(rows):
        if not math.isfinite(t) or t < 0:
            raise ValueError(f"time {t!r} must be finite and at least 0")
        if index and rows[index - 1][0] == t:
            raise ValueError(f"time {t:g} appears twice; group the counts by time first")
    at_risk = sum(d + c for _, d, c in rows)
    n = at_risk
    survival = 1.0
    greenwood = 0.0  # sum d_i / (n_i (n_i - d_i))
    median: float | None = None
    steps: list[SurvivalStep] = []
    total_events = 0
    for t, d, c in rows:
        if d:
            survival *= 1 - d / at_risk
            total_events += d
            if d < at_risk:
                greenwood += d / (at_risk * (at_risk - d))
            else:
                greenwood = math.inf  # S fell to 0: the variance term is undefined, S is exact
        if survival == 0.0 or math.isinf(greenwood):
            std_err, low, high = 0.0, survival, survival
        else:
            std_err = survival * math.sqrt(greenwood)
            if survival >= 1.0 or greenwood == 0.0:
                low = high = survival
            else:
                log_s = math.log(survival)
                spread = z * math.sqrt(greenwood) / abs(log_s)
                # S ** exp(+spread) is the lower bound: S < 1, so a larger exponent makes it smaller.
                low = survival ** math.exp(spread)
                high = survival ** math.exp(-spread)
        steps.append(SurvivalStep(t, at_risk, d, c, survival, std_err, low, high))
        if median is None and d and survival <= 0.5:
            median = t
        at_risk -= d + c
    return KaplanMeier(tuple(steps), n, total_events, median, confidence)


def median(values: Iterable[float]) -> float | None:
    """The sample median (mean of the two middle values for an even count); None when empty."""
    ordered = sorted(float(v) for v in values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def median_offsets(n: int) -> tuple[int, ...]:
    """The 0-based positions whose values average to the median of ``n`` sorted values.

    Lets a database return only the one or two middle rows (ORDER BY ... OFFSET k LIMIT 1)
    instead of every value: (k,) for odd n, (k - 1, k) for even n, () for n = 0.
    """
    count = _check_count("n", n)
    if count == 0:
        return ()
    middle = count // 2
    return (middle,) if count % 2 else (middle - 1, middle)
