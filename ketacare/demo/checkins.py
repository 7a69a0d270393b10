"""Demo check-ins: after each demo dose, side effects that pass (and one that lingers), moods, one red flag.

Deterministic and idempotent: each check-in has a fixed idempotency key, and its content is drawn from
a generator seeded by its own session, so `submit_checkin` returns the stored row on a repeat even when
sessions were added in between (a demo that staff used, then seeded again).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING

from ketacare.checkins.preparation import preparation_items
from ketacare.checkins.services import ReportIn, submit_checkin, tick_preparation
from ketacare.demo.past_sessions import doses_outside_past_courses
from ketacare.patients.models import Patient
from ketacare.treatments.selectors import next_appointment

if TYPE_CHECKING:
    from ketacare.demo.seed import DemoContext

# Which effects a demo patient reports shortly after a dose (ids from the core knowledge base).
EARLY = ["dissociation", "dizziness", "nausea", "drowsiness", "blurred_vision"]
LATER = ["headache", "fatigue"]


def seed_app(ctx: DemoContext) -> None:
    for key, patients in ctx.patients_by_clinic.items():
        red_flag_done = False
        for patient in patients:
            _prepare(ctx, patient)
            doses = doses_outside_past_courses(patient, now=ctx.now)
            if not doses:
                continue
            for number, dose in enumerate(doses):
                draw = random.Random(f"demo-checkins-{dose.session_public_id}")  # noqa: S311 - synthetic data
                early = draw.sample(EARLY, 2)
                later = draw.choice(LATER)
                mood = draw.randint(3, 6) + min(number, 4)
                first_at = dose.started_at + dt.timedelta(hours=draw.uniform(1.5, 3))
                second_at = dose.started_at + dt.timedelta(hours=draw.uniform(18, 26))
                if first_at > ctx.now:
                    continue
                submit_checkin(
                    patient=patient,
                    idempotency_key=f"demo-{dose.session_public_id}-1",
                    reports=[ReportIn(early[0], "mild"), ReportIn(early[1], "moderate")],
                    mood=min(mood, 10),
                    note="",
                    now=first_at,
                )
                if second_at > ctx.now:
                    continue
                # The next day: most effects have gone (closing them records their duration).
                submit_checkin(
                    patient=patient,
                    idempotency_key=f"demo-{dose.session_public_id}-2",
                    reports=[ReportIn(later, "mild")] if number % 2 == 0 else [],
                    mood=min(mood + 1, 10),
                    note="Slept well." if number % 3 == 0 else "",
                    now=second_at,
                )
            if not red_flag_done:
                # One red flag per clinic so the alert inbox has something real in it.
                submit_checkin(
                    patient=patient,
                    idempotency_key=f"demo-red-flag-{key}",
                    reports=[ReportIn("urinary_symptoms", "moderate")],
                    mood=4,
                    note="It burns when I pee since yesterday.",
                    now=min(doses[-1].started_at + dt.timedelta(days=2), ctx.now),
                )
                red_flag_done = True


def _prepare(ctx: DemoContext, patient: Patient) -> None:
    """Demo login patients have ticked part of the checklist for their next session."""
    if patient.user_id is None:
        return
    appointment = next_appointment(patient, now=ctx.now)
    if appointment is None:
        return
    items = preparation_items(appointment.route)
    for item in items[: len(items) // 2 + 1]:
        tick_preparation(
            patient=patient,
            session_key=appointment.public_id,
            item_id=item.id,
            done=True,
            allowed_items=[i.id for i in items],
            now=ctx.now,
        )
