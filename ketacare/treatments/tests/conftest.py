"""Fixtures the treatments tests share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from tests.support.treatments import FRIDAY_MORNING


@pytest.fixture
def clock() -> Iterator[Any]:
    """The clock stopped on a Friday at 10:00 in New York (clinic A), moved with ``clock.move_to``."""
    with time_machine.travel(FRIDAY_MORNING, tick=False) as traveller:
        yield traveller
