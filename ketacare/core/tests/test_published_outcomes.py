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
    assert published("response")[0].label() == "35–55%"
    assert published("remission")[0].sources == ("Alnefeesi2022",)
    assert published("median_days_to_relapse")[0].label() == "18 days"
