"""A red flag whose name only says "Signs of ..." says what the signs are, in its own message's words."""

from __future__ import annotations

from ketacare.core import knowledge


def test_every_signs_of_name_carries_its_signs_from_its_own_message() -> None:
    named = [f for f in knowledge.red_flags() if f.name.lower().startswith("signs of")]
    assert named
    for flag in named:
        assert flag.signs, flag.id
        # No new clinical wording: the signs are the ones its sourced message already names.
        assert flag.signs.lower() in flag.patient_message.lower(), flag.id
        assert flag.described == f"{flag.name} ({flag.signs})"
    # A name that says its symptom needs nothing added.
    chest = knowledge.get_red_flag("chest_pain")
    assert chest.signs == "" and chest.described == chest.name
