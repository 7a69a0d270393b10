"""Long-term vigilance: cumulative exposure and the periodic bladder and misuse checks.

Pure functions with plain-value inputs (docs/decisions/0012-safety-net-rules.md); ``now`` is always a
parameter and every datetime must be timezone-aware.

- :func:`cumulative_exposure` - mg and sessions in the last 30, 90 and 365 days from a list of
  (time, mg) doses, with flags only for limits the clinic sets (no published limit exists for
  therapeutic use).
- :func:`check_due` - when a periodic check (``luts_check``, ``misuse_check``) is next due: every 28
  days from the first dose or the last completed check (clinic practice, ``vigilance.toml``).
- :func:`evaluate_check` - score a completed check and say what follows: any "yes" on the bladder check
  raises ``urinary_symptoms`` (urgent) and pauses the next dose until a prescriber has reviewed
  [KIC-Review] [KIC-Case]; any "yes" on the misuse check raises ``craving_or_misuse`` (contact the
  clinic) [LabelText-8.6] [HCP-Dose].
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ketacare.core.instruments import ScoreResult, get_instrument, score
from ketacare.core.instruments.model import UnknownInstrumentError
from ketacare.core.knowledge import Evidence, KnowledgeError, Level, knowledge, validate_source_ids
from ketacare.core.tomlload import TomlTable, parse_toml

DATA_FILE = Path(__file__).resolve().parent / "knowledge" / "data" / "vigilance.toml"
# A single dose above this is a typing error (input validation, not a clinical limit).
MAX_DOSE_MG = 1000.0
MAX_DOSES = 10_000


class VigilanceError(ValueError):
    """A vigilance input is invalid; the message names the value and what is allowed."""


@dataclass(frozen=True, slots=True)
class PeriodicCheck:
    """A questionnaire asked every ``interval_days``; a positive answer raises ``red_flag``."""

    id: str
    instrument_id: str
    interval_days: int
    red_flag_id: str
    hold_next_dose: bool
    sources: tuple[str, ...]
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class VigilanceRules:
    """vigilance.toml: the exposure windows and the periodic checks."""

    exposure_windows_days: tuple[int, ...]
    checks: Mapping[str, PeriodicCheck]


class _Table(TomlTable):
    error_type = VigilanceError


@functools.cache
def vigilance_rules() -> VigilanceRules:
    """The packaged vigilance rules, loaded and validated once."""
    return load_vigilance_rules(DATA_FILE.read_text(encoding="utf-8"))


def load_vigilance_rules(text: str) -> VigilanceRules:
    """Parse and validate vigilance.toml text (VigilanceError naming the entry on a problem)."""
    kb = knowledge()
    root = _Table(parse_toml(text, DATA_FILE.name, VigilanceError), file=DATA_FILE.name)
    root.whole("schema_version", 1, 1)
    windows = root.wholes("exposure_windows_days", 1, 3660)
    checks: dict[str, PeriodicCheck] = {}
    for table in root.tables("check", required=True):
        check_id = table.text("id")
        instrument_id = table.text("instrument")
        try:
            get_instrument(instrument_id)
        except UnknownInstrumentError as exc:
            raise table.error(str(exc)) from None
        red_flag = table.text("red_flag", choices=list(kb.red_flags))
        evidence = table.text("evidence", choices=[e.value for e in Evidence])
        sources = table.texts("sources")
        try:
            validate_source_ids(sources, file=table.file, where=table.where, evidence=evidence)
        except KnowledgeError as exc:
            raise VigilanceError(str(exc)) from None
        if check_id in checks:
            raise table.error("duplicate id")
        checks[check_id] = PeriodicCheck(
            id=check_id,
            instrument_id=instrument_id,
            interval_days=table.whole("interval_days", 1, 366),
            red_flag_id=red_flag,
            hold_next_dose=table.flag("hold_next_dose"),
            sources=sources,
            evidence=Evidence(evidence),
        )
        table.finish()
    root.finish()
    return VigilanceRules(exposure_windows_days=windows, checks=checks)


def _aware(name: str, value: object) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise VigilanceError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value


# --------------------------------------------------------------------------------------------------------
# Cumulative exposure
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExposureWindow:
    """Doses given in the ``days`` before ``now`` (``now - days`` < time <= ``now``)."""

    days: int
    sessions: int
    total_mg: float


@dataclass(frozen=True, slots=True)
class ExposureFlag:
    """A clinic-set limit the exposure went over: ``what`` is "mg" or "sessions"."""

    days: int
    what: str
    value: float
    limit: float
    message: str


@dataclass(frozen=True, slots=True)
class CumulativeExposure:
    """Exposure per window (30, 90, 365 days), lifetime totals and flags for the clinic's own limits."""

    now: datetime
    windows: tuple[ExposureWindow, ...]
    lifetime_sessions: int
    lifetime_mg: float
    first_dose_at: datetime | None
    last_dose_at: datetime | None
    flags: tuple[ExposureFlag, ...]

    def window(self, days: int) -> ExposureWindow:
        """The window of ``days`` (KeyError if not computed)."""
        for window in self.windows:
            if window.days == days:
                return window
        raise KeyError(days)


def _limits(name: str, limits: Mapping[int, float] | None, windows: Sequence[int]) -> dict[int, float]:
    if limits is None:
        return {}
    out = {}
    for days, limit in limits.items():
        if days not in windows:
            raise VigilanceError(f"{name}: window {days!r} days is not one of {', '.join(map(str, windows))}")
        if (
            isinstance(limit, bool)
            or not isinstance(limit, int | float)
            or not math.isfinite(limit)
            or limit <= 0
        ):
            raise VigilanceError(f"{name}: limit {limit!r} for {days} days must be a number above 0")
        out[days] = float(limit)
    return out


def cumulative_exposure(
    doses: Sequence[tuple[datetime, float]],
    *,
    now: datetime,
    clinic_limits_mg: Mapping[int, float] | None = None,
    clinic_limits_sessions: Mapping[int, float] | None = None,
) -> CumulativeExposure:
    """Cumulative dose per patient: mg and sessions in the last 30, 90 and 365 days, and in all.

    ``doses`` are (aware datetime, mg) pairs, one per session (any order; a dose after ``now`` is an
    error: pass given doses only). Each window counts doses with ``now - days < time <= now``.
    ``clinic_limits_mg`` / ``clinic_limits_sessions`` map a window (30, 90 or 365) to the clinic's own
    limit; going over it (strictly) gives an :class:`ExposureFlag`. KetaCare sets no limit itself: the
    sources give none for therapeutic use (decision 0012). Raises VigilanceError naming the bad value.
    """
    now = _aware("now", now)
    windows = vigilance_rules().exposure_windows_days
    mg_limits = _limits("clinic_limits_mg", clinic_limits_mg, windows)
    session_limits = _limits("clinic_limits_sessions", clinic_limits_sessions, windows)
    if isinstance(doses, str) or not isinstance(doses, Sequence) or len(doses) > MAX_DOSES:
        raise VigilanceError(f"doses must be a list of at most {MAX_DOSES} (datetime, mg) pairs")
    checked: list[tuple[datetime, float]] = []
    for index, pair in enumerate(doses):
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise VigilanceError(f"dose {index} must be a (datetime, mg) pair, got {pair!r}")
        when = _aware(f"dose {index} time", pair[0])
        amount = pair[1]
        if (
            isinstance(amount, bool)
            or not isinstance(amount, int | float)
            or not math.isfinite(amount)
            or not 0 < amount <= MAX_DOSE_MG
        ):
            raise VigilanceError(
                f"dose {index} mg {amount!r} is out of range; expected above 0 up to {MAX_DOSE_MG:g}"
            )
        if when > now:
            raise VigilanceError(
                f"dose {index} at {when.isoformat()} is after now {now.isoformat()}; pass given doses only"
            )
        checked.append((when, float(amount)))

    results = []
    flags = []
    for days in windows:
        since = now - timedelta(days=days)
        inside = [mg for when, mg in checked if since < when <= now]
        window = ExposureWindow(days=days, sessions=len(inside), total_mg=round(sum(inside), 2))
        results.append(window)
        if days in mg_limits and window.total_mg > mg_limits[days]:
            flags.append(
                ExposureFlag(
                    days,
                    "mg",
                    window.total_mg,
                    mg_limits[days],
                    f"{window.total_mg:g} mg in the last {days} days is above the clinic's limit of {mg_limits[days]:g} mg",
                )
            )
        if days in session_limits and window.sessions > session_limits[days]:
            flags.append(
                ExposureFlag(
                    days,
                    "sessions",
                    window.sessions,
                    session_limits[days],
                    f"{window.sessions} sessions in the last {days} days is above the clinic's limit of "
                    f"{session_limits[days]:g}",
                )
            )
    times = sorted(when for when, _ in checked)
    return CumulativeExposure(
        now=now,
        windows=tuple(results),
        lifetime_sessions=len(checked),
        lifetime_mg=round(sum(mg for _, mg in checked), 2),
        first_dose_at=times[0] if times else None,
        last_dose_at=times[-1] if times else None,
        flags=tuple(flags),
    )


# --------------------------------------------------------------------------------------------------------
# Periodic checks
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckDue:
    """When a periodic check is due: ``due_at`` (None before the first dose) and whether it is due now."""

    check_id: str
    instrument_id: str
    due_at: datetime | None
    due_now: bool
    interval_days: int
    sources: tuple[str, ...]
    evidence: str


def _check(check_id: str) -> PeriodicCheck:
    checks = vigilance_rules().checks
    if check_id not in checks:
        raise VigilanceError(f"unknown check {check_id!r}; allowed: {', '.join(checks)}")
    return checks[check_id]


def check_due(
    check_id: str, *, first_dose_at: datetime | None, last_completed_at: datetime | None, now: datetime
) -> CheckDue:
    """When ``check_id`` (luts_check, misuse_check) is next due, for a patient on treatment.

    Due one interval (28 days, clinic practice) after the last completed check, or after the first dose
    when it was never completed; never before the first dose (``first_dose_at`` None: not due).
    """
    check = _check(check_id)
    now = _aware("now", now)
    start = last_completed_at if last_completed_at is not None else first_dose_at
    if start is not None:
        start = _aware("last_completed_at" if last_completed_at is not None else "first_dose_at", start)
    due_at = start + timedelta(days=check.interval_days) if start is not None else None
    return CheckDue(
        check_id=check.id,
        instrument_id=check.instrument_id,
        due_at=due_at,
        due_now=due_at is not None and due_at <= now,
        interval_days=check.interval_days,
        sources=check.sources,
        evidence=check.evidence.value,
    )


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """What a completed check means.

    ``alert`` True when any answer was positive: the app raises ``red_flag_id``'s alert at ``level``
    (urinary_symptoms urgent; craving_or_misuse contact_clinic) with ``alert_codes`` and
    ``clinician_messages``. ``hold_next_dose`` True: the next dose waits for a prescriber's review.
    ``patient_message`` is calm and plain (the red flag's message, or a thank-you).
    """

    check_id: str
    score: ScoreResult
    alert: bool
    level: Level
    red_flag_id: str | None
    alert_codes: tuple[str, ...]
    clinician_messages: tuple[str, ...]
    hold_next_dose: bool
    patient_message: str
    sources: tuple[str, ...]


def evaluate_check(check_id: str, answers: Mapping[str, int] | Sequence[int]) -> CheckOutcome:
    """Score a completed periodic check and say what follows (see the module docstring).

    ``answers`` are item id -> value or the values in form order (0 no, 1 yes), as for
    ``ketacare.core.instruments.score``; invalid answers raise its InvalidAnswersError (a ValueError).
    """
    check = _check(check_id)
    result = score(check.instrument_id, answers)
    flag = knowledge().red_flags[check.red_flag_id]
    positive = bool(result.alerts)
    sources = tuple(dict.fromkeys((*check.sources, *(flag.sources if positive else ()))))
    return CheckOutcome(
        check_id=check.id,
        score=result,
        alert=positive,
        level=flag.level if positive else Level.EXPECTED,
        red_flag_id=flag.id if positive else None,
        alert_codes=tuple(dict.fromkeys(alert.code for alert in result.alerts)),
        clinician_messages=tuple(alert.message for alert in result.alerts),
        hold_next_dose=positive and check.hold_next_dose,
        patient_message=flag.patient_message if positive else "Thank you. Nothing here needs action.",
        sources=sources,
    )
