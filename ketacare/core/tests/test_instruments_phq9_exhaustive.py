"""PHQ-9 scored over every one of its 4**9 = 262,144 answer vectors and checked against Kroenke 2001."""

from __future__ import annotations

import itertools

import numpy as np

from ketacare.core.instruments import score

# Kroenke 2001 (brief §5a): cutpoints 5, 10, 15, 20. Written out here rather than read from the
# data file, so the test checks the packaged bands against the paper.
KROENKE_LABELS = ("minimal", "mild", "moderate", "moderately severe", "severe")
KROENKE_CUTPOINTS = np.array([5, 10, 15, 20])


def test_every_phq9_answer_vector_scores_its_sum_its_kroenke_band_and_an_alert_exactly_when_item_9_is_positive():
    vectors = list(itertools.product(range(4), repeat=9))
    grid = np.array(vectors, dtype=np.int64)
    expected_totals = grid.sum(axis=1)
    expected_bands = np.searchsorted(KROENKE_CUTPOINTS, expected_totals, side="right")
    expected_alerts = grid[:, 8] >= 1

    band_index = {label: i for i, label in enumerate(KROENKE_LABELS)}
    totals = np.empty(len(vectors), dtype=np.int64)
    bands = np.empty(len(vectors), dtype=np.int64)
    alerts = np.empty(len(vectors), dtype=bool)
    alert_shapes = set()
    for row, answers in enumerate(vectors):
        result = score("phq9", answers)
        totals[row] = result.total
        bands[row] = band_index[result.band]
        alerts[row] = result.has_alert("suicide_risk")
        alert_shapes.add(tuple((a.code, a.item_id) for a in result.alerts))

    assert len(vectors) == 4**9 == 262_144
    np.testing.assert_array_equal(totals, expected_totals)
    np.testing.assert_array_equal(bands, expected_bands)
    np.testing.assert_array_equal(alerts, expected_alerts)
    # The only alert PHQ-9 ever raises is the item-9 one, and never twice.
    assert alert_shapes == {(), (("suicide_risk", "phq9.q9"),)}
