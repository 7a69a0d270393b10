"""One pass over the scores with window functions: per-patient course features, aggregated by group.

The scores are the patient's valid questionnaire responses and the clinic's valid intake baselines
(``intake.BaselineScore``): the first of them is the baseline, whoever filed it (docs/decisions/0030).
The pass writes the maintained summary (``outcomes.models.CourseSummary``): for one patient when a
response or an intake baseline is saved, for whole clinics on a rebuild; the page aggregates the
summary rows, one per patient and scale, and never reads the scores (docs/decisions/0017).

Why SQL and not correlated ORM subqueries: a subquery per patient (baseline, endpoint, first
response, relapse) costs one index probe each per patient and per use, and the ORM repeats nested
subqueries wherever they are referenced; at 100,000 patients that took minutes on PostgreSQL.
Window functions read the score tables once, sorted by patient and time, on SQLite (>= 3.25) and
PostgreSQL alike (bench/bench_outcomes.py measures both).

The statement is constant text with ``%s`` parameters: no value from a request is ever formatted
into it (docs/security.md S15); the only vendor-specific fragments are two date expressions chosen from
the connection vendor. The thresholds are the core instruments' change rules, passed as
parameters (``ketacare.core.instruments``; see :mod:`ketacare.outcomes.selectors` for definitions).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import connection

from ketacare.core.instruments import Instrument

# The same tolerance as the core's classify_change: exact boundary cases (20 -> 10) must count.
TOLERANCE = 1e-9


def _vendor_fragments(window_days: int) -> tuple[str, str]:
    """(endpoint cut-off for a row, whole days from first response to relapse or last score)."""
    days = int(window_days)  # an int from our own constant, never request data
    if connection.vendor == "postgresql":
        return (
            f"f_base_at + INTERVAL '{days} days'",
            "(CAST(COALESCE(relapse_at, last_at) AS DATE) - CAST(first_resp_at AS DATE))",
        )
    # SQLite stores datetimes as UTC text; datetime() gives the same text form for comparison.
    return (
        f"datetime(f_base_at, '+{days} days')",
        "CAST(julianday(date(COALESCE(relapse_at, last_at))) - julianday(date(first_resp_at)) AS INTEGER)",
    )


def _thresholds(instruments: Sequence[Instrument]) -> tuple[str, list[object]]:
    rows = []
    params: list[object] = []
    for instrument in instruments:
        rows.append(
            "(%s, CAST(%s AS DOUBLE PRECISION), CAST(%s AS DOUBLE PRECISION), "
            "CAST(%s AS DOUBLE PRECISION), CAST(%s AS DOUBLE PRECISION))"
        )
        params += [
            instrument.id,
            instrument.remission_max_score,
            instrument.response_min_drop_fraction,
            instrument.response_min_drop_points,
            instrument.min_score,
        ]
    return ", ".join(rows), params


def _placeholders(values: Sequence[object]) -> str:
    return ", ".join(["%s"] * len(values))


def _per_patient_cte(
    instruments: Sequence[Instrument],
    window_days: int,
    *,
    clinic_ids: Sequence[int] | None = None,
    patient_id: int | None = None,
) -> tuple[str, list[object]]:
    """The CTEs ending in ``pp``: one row per (patient, instrument) with baseline and course features,
    for the clinics' patients or for one patient."""
    thr_rows, params = _thresholds(instruments)
    if patient_id is not None:
        scope, scope_params = "patient_id = %s", [patient_id]
    else:
        ids = list(clinic_ids or [])
        scope, scope_params = f"clinic_id IN ({_placeholders(ids)})", ids
    cutoff, _ = _vendor_fragments(window_days)
    # Constant text with placeholders only (S608 is silenced on purpose; see the module docstring).
    sql = f"""
WITH thr(instrument_id, rem_max, frac, pts, best) AS (VALUES {thr_rows}),
sc AS (
  -- Every valid score: the clinic's intake baselines (src 0) and the patient's answers (src 1). The
  -- first is the pre-treatment baseline whoever filed it (docs/decisions/0030); at the same time the
  -- intake score comes first. The two tables' ids overlap: every ordering takes src before id.
  SELECT b.id AS id, 0 AS src, b.clinic_id AS clinic_id, b.patient_id AS patient_id,
         b.instrument_id AS instrument_id, b.completed_at AS at, CAST(b.total AS DOUBLE PRECISION) AS total
  FROM intake_baselinescore b
  WHERE b.status = 'valid' AND b.{scope}
  UNION ALL
  SELECT r.id, 1, r.clinic_id, r.patient_id, r.instrument_id, r.submitted_at, r.total
  FROM questionnaires_questionnaireresponse r
  WHERE r.status = 'valid' AND r.{scope}
),
s AS (
  -- The thresholds join here, before the windows, so later steps keep the window order.
  SELECT q.id AS id, q.src AS src, q.clinic_id AS clinic_id, q.patient_id AS patient_id,
         q.instrument_id AS instrument_id, q.at AS at, q.total AS total, t.rem_max AS rem_max,
         t.frac AS frac, t.pts AS pts, t.best AS best,
         FIRST_VALUE(q.total) OVER w AS base,
         FIRST_VALUE(q.at) OVER w AS f_base_at,
         ROW_NUMBER() OVER w AS rn
  FROM sc q
  CROSS JOIN thr t
  WHERE t.instrument_id = q.instrument_id
  WINDOW w AS (PARTITION BY q.patient_id, q.instrument_id ORDER BY q.at, q.src, q.id)
),
f AS (
  SELECT s.*,
    CASE WHEN s.total <= s.rem_max + {TOLERANCE}
           OR (s.base > s.best AND (
                (s.frac IS NOT NULL AND s.total <= s.base - s.frac * (s.base - s.best) + {TOLERANCE})
                OR (s.frac IS NULL AND s.pts IS NOT NULL AND s.total <= s.base - s.pts + {TOLERANCE})))
         THEN 1 ELSE 0 END AS resp,
    CASE WHEN s.total <= s.rem_max + {TOLERANCE} THEN 1 ELSE 0 END AS rem,
    CASE WHEN s.rn > 1 AND s.at <= {cutoff} THEN 1 ELSE 0 END AS in_window
  FROM s
),
g AS (
  -- One ordering for every window here (the same as in s), so the rows are sorted once.
  SELECT f.*,
    LAG(f.resp) OVER o AS prev_resp,
    LEAD(f.in_window) OVER o AS next_in_window,
    LEAD(f.rn) OVER o AS next_rn,
    -- A response at a follow-up row before the previous one: the run of two non-responding
    -- rows (this one and the previous) then follows a response (the core's loss-of-response rule).
    MAX(CASE WHEN f.rn > 1 THEN f.resp ELSE 0 END)
      OVER (o ROWS BETWEEN UNBOUNDED PRECEDING AND 2 PRECEDING) AS responded_before_prev
  FROM f
  WINDOW o AS (PARTITION BY f.patient_id, f.instrument_id ORDER BY f.at, f.src, f.id)
),
pp AS (
  -- The endpoint is the last row inside the window (rows in it are consecutive).
  SELECT patient_id, instrument_id,
    MAX(clinic_id) AS clinic_id,
    MIN(f_base_at) AS base_at,
    MIN(base) AS base_total,
    MAX(CASE WHEN next_rn IS NULL THEN total END) AS last_total,
    MIN(total) AS best_total,
    COUNT(*) AS scores,
    MIN(CASE WHEN rn > 1 AND rem = 1 THEN at END) AS first_rem_at,
    MAX(CASE WHEN in_window = 1 AND COALESCE(next_in_window, 0) = 0 THEN 1 ELSE 0 END) AS evaluable,
    MAX(CASE WHEN in_window = 1 AND COALESCE(next_in_window, 0) = 0 THEN resp ELSE 0 END) AS responder,
    MAX(CASE WHEN in_window = 1 AND COALESCE(next_in_window, 0) = 0 THEN rem ELSE 0 END) AS remitter,
    MIN(CASE WHEN rn > 1 AND resp = 1 THEN at END) AS first_resp_at,
    MIN(CASE WHEN resp = 0 AND prev_resp = 0 AND responded_before_prev = 1 THEN at END) AS relapse_at,
    MAX(at) AS last_at
  FROM g
  GROUP BY patient_id, instrument_id
)"""  # noqa: S608
    return sql, params + scope_params + scope_params  # the intake and the answers branches


# The summary's columns in the order the statement below selects them from ``pp``.
_SUMMARY_COLUMNS = (
    "clinic_id, patient_id, instrument_id, baseline_at, baseline_total, latest_at, latest_total, best_total, "
    "scores, evaluable, responder, remitter, first_response_at, first_remission_at, relapse_at"
)
_FROM_PP = (
    "SELECT clinic_id, patient_id, instrument_id, base_at, base_total, last_at, last_total, best_total, "
    "scores, evaluable, responder, remitter, first_resp_at, first_rem_at, relapse_at FROM pp "
    # SQLite needs a WHERE before ON CONFLICT in INSERT ... SELECT (else it reads a join's ON).
    "WHERE 1 = 1"
)
_UPSERT = (
    " ON CONFLICT (patient_id, instrument_id) DO UPDATE SET "
    "baseline_at = excluded.baseline_at, baseline_total = excluded.baseline_total, "
    "latest_at = excluded.latest_at, latest_total = excluded.latest_total, "
    "best_total = excluded.best_total, scores = excluded.scores, "
    "evaluable = excluded.evaluable, responder = excluded.responder, "
    "remitter = excluded.remitter, first_response_at = excluded.first_response_at, "
    "first_remission_at = excluded.first_remission_at, relapse_at = excluded.relapse_at, "
    "clinic_id = excluded.clinic_id"
)


def store_summaries(
    instruments: Sequence[Instrument],
    window_days: int,
    *,
    clinic_ids: Sequence[int] | None = None,
    patient_id: int | None = None,
) -> int:
    """Compute the course rows of the clinics' patients (or of one patient) with the window pass and
    write them into ``outcomes_coursesummary`` (a row already there is replaced); returns how many."""
    if not instruments or (patient_id is None and not clinic_ids):
        return 0
    cte, params = _per_patient_cte(instruments, window_days, clinic_ids=clinic_ids, patient_id=patient_id)
    sql = f"INSERT INTO outcomes_coursesummary ({_SUMMARY_COLUMNS})\n{cte}\n{_FROM_PP}{_UPSERT}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)  # type: ignore[arg-type]  # plain str/float/int values
        return int(cursor.rowcount or 0)


def _summary_cte(instruments: Sequence[Instrument], clinic_ids: Sequence[int]) -> tuple[str, list[object]]:
    """``pp`` read from the maintained summary: one row per patient and instrument, no pass over scores."""
    ids = [i.id for i in instruments]
    sql = f"""
WITH pp AS (
  SELECT patient_id, instrument_id, baseline_at AS base_at, evaluable, responder, remitter,
         first_response_at AS first_resp_at, relapse_at, latest_at AS last_at
  FROM outcomes_coursesummary
  WHERE clinic_id IN ({_placeholders(clinic_ids)}) AND instrument_id IN ({_placeholders(ids)})
)"""  # noqa: S608
    return sql, [*clinic_ids, *ids]


def _period_sql(low: dt.datetime | None, high: dt.datetime | None) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if low is not None:
        clauses.append("pp.base_at >= %s")
        params.append(connection.ops.adapt_datetimefield_value(low))
    if high is not None:
        clauses.append("pp.base_at < %s")
        params.append(connection.ops.adapt_datetimefield_value(high))
    return (" AND ".join(clauses) or "1 = 1"), params


@dataclass(frozen=True)
class GroupCounts:
    cohort: int
    evaluable: int
    responders: int
    remitters: int


@dataclass(frozen=True)
class RateTable:
    """Counts per instrument, per (instrument, dosing route) and per (instrument, condition)."""

    by_route: dict[tuple[str, str], GroupCounts]
    by_condition: dict[tuple[str, str], GroupCounts]
    by_instrument: dict[str, GroupCounts] = field(default_factory=dict)


def course_counts(
    *,
    instruments: Sequence[Instrument],
    km_instrument: Instrument,
    clinic_ids: Sequence[int],
    low: dt.datetime | None,
    high: dt.datetime | None,
    window_days: int,
    conditions: Sequence[str],
) -> tuple[RateTable, list[tuple[int, int, int]]]:
    """One query over the course summary: rate counts and the relapse curve's counts.

    Returns counts of cohort/evaluable/responders/remitters by instrument, by (instrument, route: a
    patient with at least one valid dose by that route, "" for none, so a patient dosed by two routes
    counts under each) and by (instrument, condition; "" for no recorded condition), and (days from
    first response, relapses, censored) grouped by day for ``km_instrument``.
    """
    if not instruments or not clinic_ids:
        return RateTable({}, {}, {}), []
    cte, params = _summary_cte(instruments, clinic_ids)
    where, period_params = _period_sql(low, high)
    _, days = _vendor_fragments(window_days)
    # Few groups whatever the number of patients: per instrument, per (instrument, route), per
    # (instrument, intake indications). The routes are those the patient was dosed by (the doses kept,
    # as the exposure table counts them), not the plan's: a plan never started gave no dose. The
    # conditions are matched on the grouped rows here, once per group instead of once per patient and
    # count (indications is a JSON list of ids; a quoted id cannot match a longer id).
    sql = f"""{cte},
rt AS (
  SELECT DISTINCT d.patient_id AS patient_id, d.route AS route
  FROM treatments_doseadministration d
  WHERE d.clinic_id IN ({_placeholders(clinic_ids)}) AND d.entered_in_error = %s
)
SELECT 'all', pp.instrument_id, '', NULL, COUNT(*), SUM(pp.evaluable), SUM(pp.responder), SUM(pp.remitter)
FROM pp
WHERE {where}
GROUP BY pp.instrument_id
UNION ALL
SELECT 'route', pp.instrument_id, COALESCE(rt.route, ''), NULL, COUNT(*),
       SUM(pp.evaluable), SUM(pp.responder), SUM(pp.remitter)
FROM pp
LEFT JOIN rt ON rt.patient_id = pp.patient_id
WHERE {where}
GROUP BY pp.instrument_id, COALESCE(rt.route, '')
UNION ALL
SELECT 'condition', pp.instrument_id, '', CAST(i.indications AS TEXT), COUNT(*),
       SUM(pp.evaluable), SUM(pp.responder), SUM(pp.remitter)
FROM pp
LEFT JOIN intake_intake i ON i.patient_id = pp.patient_id AND i.status = 'current'
WHERE {where}
GROUP BY pp.instrument_id, CAST(i.indications AS TEXT)
UNION ALL
SELECT 'km', pp.instrument_id, '', NULL, {days},
       SUM(CASE WHEN relapse_at IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN relapse_at IS NULL THEN 1 ELSE 0 END), 0
FROM pp
WHERE pp.instrument_id = %s AND first_resp_at IS NOT NULL AND {where}
GROUP BY pp.instrument_id, {days}"""  # noqa: S608
    by_instrument: dict[str, list[int]] = {}
    by_route: dict[tuple[str, str], list[int]] = {}
    by_condition: dict[tuple[str, str], list[int]] = {}
    km: list[tuple[int, int, int]] = []
    quoted = [(condition, f'"{condition}"') for condition in conditions]
    with connection.cursor() as cursor:
        arguments = [
            *params,
            *clinic_ids,
            False,
            *period_params,
            *period_params,
            *period_params,
            km_instrument.id,
            *period_params,
        ]
        cursor.execute(sql, arguments)  # type: ignore[arg-type]  # plain str/float/int/datetime values
        for row in cursor.fetchall():
            kind, instrument_id, route, indications = row[0], row[1], row[2], row[3] or ""
            if kind == "km":
                km.append((int(row[4]), int(row[5] or 0), int(row[6] or 0)))
                continue
            values = [int(v or 0) for v in row[4:8]]
            if kind == "all":
                targets = [by_instrument.setdefault(instrument_id, [0, 0, 0, 0])]
            elif kind == "route":
                targets = [by_route.setdefault((instrument_id, route), [0, 0, 0, 0])]
            else:
                matched = [condition for condition, needle in quoted if needle in indications]
                # A patient without a recorded indication counts under "" so the condition rows cover
                # the whole cohort (a patient with two indications counts under each).
                targets = [
                    by_condition.setdefault((instrument_id, condition), [0, 0, 0, 0])
                    for condition in matched or [""]
                ]
            for total in targets:
                for k in range(4):
                    total[k] += values[k]
    km.sort()
    return (
        RateTable(
            {key: GroupCounts(*v) for key, v in by_route.items()},
            {key: GroupCounts(*v) for key, v in by_condition.items() if v[0]},
            {key: GroupCounts(*v) for key, v in by_instrument.items()},
        ),
        km,
    )
