"""The clinical brief's "Facts a test could check" 1-8 and 21, each as its own test."""

from __future__ import annotations

from ketacare.core.instruments import Instrument, classify_change, get_instrument, score


def answers_totalling(instrument: Instrument, total: int) -> list[int]:
    """A complete answer vector whose total is ``total``, filling items from the first.

    For QIDS-SR16 only the first item of each domain is filled (the others stay 0), so that
    each domain's highest item is the one that was filled and the domains add up to ``total``.
    """
    counted = {s.items[0] for s in instrument.subscales} if instrument.scoring == "sum_subscales" else None
    answers = []
    remaining = total
    for item in instrument.items:
        value = min(remaining, max(item.allowed_values)) if counted is None or item.id in counted else 0
        answers.append(value)
        remaining -= value
    assert remaining == 0, f"{instrument.id} cannot reach {total}"
    return answers


def band_of(instrument_id: str, total: int) -> str | None:
    instrument = get_instrument(instrument_id)
    result = score(instrument_id, answers_totalling(instrument, total))
    assert result.total == total
    return result.band


def test_fact_1_phq9_bands_follow_kroenke_and_the_maximum_is_27():
    assert band_of("phq9", 15) == "moderately severe"
    assert band_of("phq9", 14) == "moderate"
    assert band_of("phq9", 20) == "severe"
    assert band_of("phq9", 4) == "minimal"
    assert get_instrument("phq9").max_score == 27
    assert "Kroenke2001" in get_instrument("phq9").band_sources


def test_fact_2_a_positive_phq9_item_9_raises_a_suicide_risk_alert_even_when_the_total_is_below_10():
    result = score("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert result.total == 1 < 10
    (alert,) = result.alerts
    assert (alert.code, alert.item_id, alert.value) == ("suicide_risk", "phq9.q9", 1)
    assert "suicide risk assessment" in alert.message
    assert not score("phq9", [3, 3, 3, 3, 3, 3, 3, 3, 0]).alerts


def test_fact_3_phq9_remission_is_below_5_and_response_is_a_50_percent_fall():
    phq9 = get_instrument("phq9")
    assert phq9.remission_max_score == 4
    assert phq9.response_min_drop_fraction == 0.5
    assert "PsychServ2020" in phq9.response_sources and "PsychServ2020" in phq9.remission_sources
    assert classify_change("phq9", 20, 10) == "response"
    assert classify_change("phq9", 20, 11) != "response"
    assert classify_change("phq9", 20, 4) == "remission"
    assert classify_change("phq9", 20, 5) == "response"


def test_fact_4_gad7_10_is_moderate_15_is_severe_and_the_maximum_is_21():
    assert band_of("gad7", 10) == "moderate"
    assert band_of("gad7", 15) == "severe"
    assert get_instrument("gad7").max_score == 21


def test_fact_5_madrs_10_or_less_is_remission_and_the_maximum_is_60():
    madrs = get_instrument("madrs")
    assert madrs.max_score == 60
    assert madrs.remission_max_score == 10
    assert "Ekstrand2022" in madrs.remission_sources
    assert classify_change("madrs", 30, 10) == "remission"
    assert classify_change("madrs", 30, 11) == "response"
    assert madrs.completed_by == "clinician"


def test_fact_6_qids_sr16_16_is_severe_5_is_none_and_remission_and_the_maximum_is_27():
    assert band_of("qids_sr16", 16) == "severe"
    assert band_of("qids_sr16", 5) == "none"
    assert classify_change("qids_sr16", 16, 5) == "remission"
    assert get_instrument("qids_sr16").max_score == 27


def test_fact_7_pcl5_31_or_more_flags_probable_ptsd_and_the_maximum_is_80():
    assert band_of("pcl5", 31) == "probable PTSD"
    assert band_of("pcl5", 33) == "probable PTSD"
    assert band_of("pcl5", 30) != "probable PTSD"
    assert get_instrument("pcl5").max_score == 80


def test_fact_8_ybocs_24_is_severe_and_the_maximum_is_40():
    assert band_of("ybocs", 24) == "severe"
    assert band_of("ybocs", 23) == "moderate"
    assert get_instrument("ybocs").max_score == 40


def test_fact_21_moaas_0_is_loss_of_consciousness_and_5_is_alert():
    unresponsive = score("moaas", [0])
    assert "loss of consciousness" in unresponsive.band
    assert unresponsive.has_alert("loss_of_consciousness")
    alert = score("moaas", [5])
    assert alert.band == "alert"
    assert not alert.alerts
    assert get_instrument("moaas").higher_is_worse is False
