"""Demo journal entries for the demo login patients: some shared with the clinic, some private."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from ketacare.demo.past_sessions import doses_outside_past_courses
from ketacare.journal.services import write_journal_entry

if TYPE_CHECKING:
    from ketacare.demo.seed import DemoContext

ENTRIES = [
    (
        "first_days",
        "The colours were very bright during the session. Today I feel calmer than I have in weeks.",
        True,
    ),
    ("insight", "I kept thinking about my grandmother's garden. I want to call my sister this week.", False),
    ("small_step", "Went for a short walk before breakfast. Small, but it felt like mine.", True),
    ("support", "Talked to my partner about how the sessions feel. Want to ask the nurse about sleep.", True),
    ("general", "A heavier day. Not as bad as before, though.", False),
]


def seed_app(ctx: DemoContext) -> None:
    for patients in ctx.patients_by_clinic.values():
        for patient in patients:
            if patient.user_id is None:
                continue
            doses = doses_outside_past_courses(patient, now=ctx.now)
            anchor = doses[0].started_at if doses else ctx.now - dt.timedelta(days=10)
            for number, (prompt_id, text, shared) in enumerate(ENTRIES):
                hours = ctx.rng.uniform(20, 30)
                when = anchor + dt.timedelta(days=2 * number, hours=hours)
                if when > ctx.now:
                    continue
                write_journal_entry(
                    patient=patient,
                    text=text,
                    shared_with_clinic=shared,
                    prompt_id=prompt_id,
                    idempotency_key=f"demo-journal-{number}",
                    now=when,
                )
