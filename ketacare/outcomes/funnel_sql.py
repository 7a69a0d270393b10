"""The drop-out funnel from maintained per-plan counts of completed induction appointments.

An induction appointment is completed when its treatment session is discharged (a discharge needs the
dose given and the observation done, treatments services), never by its status alone: an appointment
marked completed without a session behind it is not a session the patient had.

``store_plan_funnels`` writes ``outcomes_planfunnel`` (``outcomes.models.PlanFunnel``): for one plan
when one of its appointments or the session of one is saved or deleted, for whole clinics on a rebuild.
``funnel_counts`` reads the clinics' plans with those counts: one row per plan, never the appointments
(docs/decisions/0017).

The statements are constant text with ``%s`` parameters (no value from a request is formatted into
them), the same on SQLite (>= 3.24, upsert) and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import connection

from ketacare.treatments.models import TreatmentSession

INDUCTION = "induction"  # the phase of the induction appointments (treatments services)


def _placeholders(values: Sequence[object]) -> str:
    return ", ".join(["%s"] * len(values))


def store_plan_funnels(
    *,
    clinic_ids: Sequence[int] | None = None,
    plan_id: int | None = None,
) -> int:
    """Count the induction appointments with a discharged session of the clinics' plans or of one plan,
    and write them (a row already there is replaced); returns how many rows."""
    scope_params: list[object]
    if plan_id is not None:
        scope, scope_params = "p.id = %s", [plan_id]
    else:
        ids = list(clinic_ids or [])
        if not ids:
            return 0
        scope, scope_params = f"p.clinic_id IN ({_placeholders(ids)})", list(ids)
    # Constant text with placeholders only. SQLite needs the WHERE before ON CONFLICT (else it reads
    # the join's ON as the upsert's).
    sql = f"""
INSERT INTO outcomes_planfunnel (plan_id, completed_induction)
SELECT p.id, COUNT(s.id)
FROM treatments_treatmentplan p
LEFT JOIN treatments_appointment a
  ON a.plan_id = p.id AND a.phase = %s
LEFT JOIN treatments_treatmentsession s
  ON s.appointment_id = a.id AND s.state = %s
WHERE {scope}
GROUP BY p.id
ON CONFLICT (plan_id) DO UPDATE SET completed_induction = excluded.completed_induction"""  # noqa: S608
    params: list[object] = [
        INDUCTION,
        str(TreatmentSession.State.DISCHARGED),
        *scope_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)  # type: ignore[arg-type]  # plain str/int values
        return int(cursor.rowcount or 0)


def funnel_counts(
    *, clinic_ids: Sequence[int], low: dt.datetime | None, high: dt.datetime | None, sessions: int
) -> tuple[int, list[int]]:
    """Patients with a plan of these clinics created in [low, high), and how many of them completed at
    least 1..``sessions`` induction appointments (a discharged session each), their plans in the period
    counted together."""
    if not clinic_ids:
        return 0, [0] * sessions
    clauses = [f"p.clinic_id IN ({_placeholders(clinic_ids)})"]
    params: list[object] = list(clinic_ids)
    if low is not None:
        clauses.append("p.created_at >= %s")
        params.append(connection.ops.adapt_datetimefield_value(low))
    if high is not None:
        clauses.append("p.created_at < %s")
        params.append(connection.ops.adapt_datetimefield_value(high))
    steps = ", ".join(["SUM(CASE WHEN done >= %s THEN 1 ELSE 0 END)"] * sessions)
    sql = f"""
SELECT COUNT(*), {steps}
FROM (
  SELECT p.patient_id, SUM(COALESCE(f.completed_induction, 0)) AS done
  FROM treatments_treatmentplan p
  LEFT JOIN outcomes_planfunnel f ON f.plan_id = p.id
  WHERE {" AND ".join(clauses)}
  GROUP BY p.patient_id
) per_patient"""  # noqa: S608
    with connection.cursor() as cursor:
        arguments: list[object] = [*range(1, sessions + 1), *params]
        cursor.execute(sql, arguments)  # type: ignore[arg-type]  # plain int/datetime values
        row = cursor.fetchone()
    return int(row[0] or 0), [int(v or 0) for v in row[1:]]
