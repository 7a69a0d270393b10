"""The shared CSV guard quotes every formula-looking cell and nothing else."""

from __future__ import annotations

import pytest

from ketacare.lib.csvsafe import csv_safe


@pytest.mark.parametrize("cell", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"])
def test_a_formula_looking_cell_is_prefixed_with_a_quote(cell):
    assert csv_safe(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["plain", "", "3", "a=b"])
def test_an_ordinary_cell_is_unchanged(cell):
    assert csv_safe(cell) == cell


def test_none_becomes_an_empty_cell():
    assert csv_safe(None) == ""


def test_negative_numbers_stay_numbers_only_when_asked():
    assert csv_safe("-3.5", keep_numbers=True) == "-3.5"
    assert csv_safe("-3.5") == "'-3.5"
    assert csv_safe("-cmd", keep_numbers=True) == "'-cmd"


@pytest.mark.parametrize(
    "cell",
    [" =1+1", "  @cmd", "\n=HYPERLINK(1)", "\u00a0+1", "\uff1d1+1", "\uff0bSUM(A1)", "\uff0d2", "\uff20cmd"],
)
def test_leading_blanks_line_breaks_and_full_width_signs_do_not_hide_a_formula(cell):
    assert csv_safe(cell) == "'" + cell


@pytest.mark.parametrize("cell", [" plain", "\nplain", "a\uff1db"])
def test_blanks_before_ordinary_text_stay_as_they_are(cell):
    assert csv_safe(cell) == cell
