"""Demo questionnaire scores: weekly PHQ-9 and GAD-7 for dosed patients, responders and non-responders.

Deterministic and idempotent (fixed idempotency keys). Values are synthetic illustrations, not data.
One patient per clinic answers PHQ-9 item 9 positively once, which raises its alert.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from ketacare.demo.past_sessions import doses_outside_past_courses
from ketacare.questionnaires.services import submit_questionnaire

if TYPE_CHECKING:
    from ketacare.demo.seed import DemoContext


def _answers(instrument_id: str, total: int, items: int, item_max: int, *, item9: int = 0) -> dict[str, int]:
    values = [0] * items
    for i in range(total):
        values[i % (items - (1 if instrument_id == "phq9" else 0))] += 1
    values = [min(v, item_max) for v in values]
    if instrument_id == "phq9":
        values[8] = item9
    return {f"{instrument_id}.q{i + 1}": v for i, v in enumerate(values)}


def seed_app(ctx: DemoContext) -> None:
    for patients in ctx.patients_by_clinic.values():
        alert_done = False
        for patient in patients:
            doses = doses_outside_past_courses(patient, now=ctx.now)
            responder = ctx.rng.random() < 0.5  # about half respond (illustrative)
            baseline_phq, baseline_gad = ctx.rng.randint(16, 23), ctx.rng.randint(11, 17)
            if not doses:
                continue
            start = doses[0].started_at - dt.timedelta(days=1)
            weeks = max(1, min(8, (ctx.now - start).days // 7 + 1))
            for week in range(weeks):
                when = start + dt.timedelta(days=7 * week, hours=2)
                if when > ctx.now:
                    break
                fraction = min(week / 3, 1.0)
                drop = 0.65 if responder else 0.15
                phq = round(baseline_phq * (1 - drop * fraction)) + ctx.rng.randint(-1, 1)
                gad = round(baseline_gad * (1 - drop * fraction)) + ctx.rng.randint(-1, 1)
                item9 = 1 if (not alert_done and not responder and week == 1) else 0
                submit_questionnaire(
                    patient=patient,
                    instrument_id="phq9",
                    answers=_answers("phq9", max(0, min(phq, 24)), 9, 3, item9=item9),
                    idempotency_key=f"demo-phq9-{week}",
                    now=when,
                )
                alert_done = alert_done or item9 == 1
                submit_questionnaire(
                    patient=patient,
                    instrument_id="gad7",
                    answers=_answers("gad7", max(0, min(gad, 21)), 7, 3),
                    idempotency_key=f"demo-gad7-{week}",
                    now=when,
                )
