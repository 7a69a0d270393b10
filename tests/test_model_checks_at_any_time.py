"""Django's model checks pass whatever the time of day: a fixed date or time as a field's default is
reported (fields.W161) when the check runs within seconds of it, which once failed `check --deploy` at
08:00, the end of the default quiet hours."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import checks


@pytest.mark.parametrize("hour", [0, 8, 21])
def test_no_field_has_a_fixed_time_default(hour: int) -> None:
    at = dt.datetime(2026, 3, 2, hour, 0, 3, tzinfo=ZoneInfo(settings.TIME_ZONE))
    with time_machine.travel(at, tick=False):
        warnings = [m for m in checks.run_checks(tags=[checks.Tags.models]) if m.id == "fields.W161"]
    assert not warnings, warnings
