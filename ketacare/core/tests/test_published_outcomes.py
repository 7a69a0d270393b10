"""Published outcome figures cite known sources and are well formed."""

from __future__ import annotations

from ketacare.core.knowledge import knowledge
from ketacare.core.published_outcomes import PUBLISHED, published


def test_every_published_figure_cites_a_known_source() -> None:
    known = set(knowledge().sources)
    assert {s for f in PUBLISHED for s in f.sources} <= known


def test_rates_are_proportions_and_ranges_are_ordered() -> None:
    for figure in PUBLISHED:
        assert figure.low <= figure.high
        if figure.measure != "median_days_to_relapse":
            assert 0 <= figure.low <= figure.high <= 1


def test_the_real_world_meta_analysis_is_the_first_response_figure() -> None:
    # Brief 5c: response 45% ± 10%, remission 30% ± 5.9% [Alnefeesi2022].
    assert published("response")[0].label() == "45% (35–55%)"
    assert published("remission")[0].label() == "30% (24–36%)"
    assert published("remission")[0].sources == ("Alnefeesi2022",)
    assert published("median_days_to_relapse")[0].label() == "18 days"


def _range(note: str, measure: str) -> tuple[float, float]:
    import re

    found = re.search(r"(\d+)–(\d+)% " + measure, note)
    assert found is not None, f"no {measure} range in the note"
    return float(found.group(1)) / 100, float(found.group(2)) / 100


def test_the_note_beside_the_table_says_what_the_table_holds() -> None:
    """The sentence's randomised/meta-analytic ranges hold each such figure's central estimate; its
    open-label numbers are the open-label rows'."""
    from ketacare.core.published_outcomes import HONEST_NOTE

    for measure in ("response", "remission"):
        low, high = _range(HONEST_NOTE, measure)
        controlled = [f for f in published(measure) if f.design in ("RCT", "MA")]  # type: ignore[arg-type]
        assert controlled
        for figure in controlled:
            centre = (figure.low + figure.high) / 2
            assert low <= round(centre, 3) <= high + 0.005, (measure, figure.sources, centre)
        assert min(f.low for f in controlled) < low + 0.01
        assert abs(max(f.high for f in controlled) - high) < 0.005
    open_label = [f for f in PUBLISHED if f.design == "OL" and f.measure == "response"]
    assert open_label and all(f.label() in HONEST_NOTE for f in open_label)
    for figure in (f for f in PUBLISHED if f.design == "OL" and f.measure == "remission"):
        assert f"{round(figure.low * 100)}% remission" in HONEST_NOTE
