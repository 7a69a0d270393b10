"""Integration prompts timed to the days after a session.

The core's aftercare data recommends journaling in the days after a session (aftercare phase
"24_72h", item "journaling") but holds no prompt texts; these few prompts are clinic practice, not
evidence, and say so on screen.
"""

from __future__ import annotations

from dataclasses import dataclass

BASIS = "clinic practice"


@dataclass(frozen=True, slots=True)
class Prompt:
    """A prompt offered from ``from_day`` to ``to_day`` local calendar days after the last session."""

    id: str
    text: str
    from_day: int
    to_day: int


PROMPTS: tuple[Prompt, ...] = (
    Prompt(
        "session_day",
        "What did you notice during or after today's session? Any images, feelings or thoughts you want to keep?",
        0,
        0,
    ),
    Prompt(
        "first_days", "How has your mood been since the session? What felt different, even slightly?", 1, 3
    ),
    Prompt(
        "insight",
        "Was there an insight or a memory from the session that stayed with you? What might it mean for your daily life?",
        1,
        7,
    ),
    Prompt("small_step", "What is one small thing you would like to do differently this week?", 2, 14),
    Prompt(
        "support",
        "Who or what has supported you since the session? Is there anything you want to ask your care team?",
        4,
        30,
    ),
    Prompt("general", "How are you today? Write whatever is on your mind.", 0, 10_000),
)


def prompts_for(days_since_session: int | None) -> list[Prompt]:
    """The prompts for this many local days after the last session (general ones without a session)."""
    if days_since_session is None:
        return [p for p in PROMPTS if p.id == "general"]
    return [p for p in PROMPTS if p.from_day <= days_since_session <= p.to_day]


def get_prompt(prompt_id: str) -> Prompt | None:
    """The prompt with this id, or None."""
    return next((p for p in PROMPTS if p.id == prompt_id), None)
