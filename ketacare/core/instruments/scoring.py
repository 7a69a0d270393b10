"""Score a completed instrument: validate the answers, compute total, band, subscores and alerts.

Pure functions of the packaged definitions and the answers given; no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral

from .model import (
    ALERT_LEVELS,
    AlertLevel,
    Instrument,
    InvalidAnswersError,
    Item,
    ItemAlert,
    Number,
    ScoreResult,
    Subscale,
)
from .registry import get_instrument

# Means (BPI-SF) are stored to two decimals: enough to resolve one answer step out of seven
# items (1/7 = 0.14) and stable when the same answers are scored again.
MEAN_DECIMALS = 2


def score(instrument_id: str, answers: Mapping[str, int] | Sequence[int]) -> ScoreResult:
    """Score one completed instrument.

    ``answers`` is either a mapping of stable item id to option value (``{"phq9.q1": 2, ...}``)
    or a sequence of option values in form order (one per item). Every item must be answered,
    except where the published form lets the respondent skip (QIDS-SR16: either item 6 or 7,
    either 8 or 9; only the mapping form can leave those out).

    Returns the total (points, in ``[min_score, max_score]``), the band label (None where the
    instrument has no published bands), part scores, item alerts and the normalised answers.
    Raises ``UnknownInstrumentError`` for an unknown instrument id and ``InvalidAnswersError``
    (naming the item and the allowed values) for any answer that does not fit.
    """
    instrument = get_instrument(instrument_id)
    values = normalise_answers(instrument, answers)
    subscores = {subscale.id: _aggregate(subscale, values) for subscale in instrument.subscales}
    alerts = _alerts(instrument, values)
    total = _total(instrument, values, subscores, alerts)
    band = instrument.band_for(total)
    return ScoreResult(
        instrument_id=instrument.id,
        version=instrument.version,
        total=total,
        band=band.label if band else None,
        subscores=subscores,
        alerts=alerts,
        answers=values,
    )


def normalise_answers(instrument: Instrument, answers: Mapping[str, int] | Sequence[int]) -> dict[str, int]:
    """Check ``answers`` against ``instrument`` and return them as item id -> int, in form order.

    Raises ``InvalidAnswersError`` for a wrong count, an unknown or missing item id, a value
    that is not an integer (``True`` and ``2.0`` are rejected: a stored score must come from
    an option value, not a coerced one) or a value outside the item's options.
    """
    if isinstance(answers, Mapping):
        return _from_mapping(instrument, answers)
    if isinstance(answers, Sequence) and not isinstance(answers, str | bytes):
        return _from_sequence(instrument, answers)
    raise InvalidAnswersError(
        f"answers for {instrument.id} must be a mapping of item id to value or a sequence of "
        f"{len(instrument.items)} values, got {type(answers).__name__}"
    )


def _from_mapping(instrument: Instrument, answers: Mapping[str, int]) -> dict[str, int]:
    by_id = instrument.items_by_id
    for key in answers:
        if key not in by_id:
            raise InvalidAnswersError(
                f"unknown item id {key!r} for {instrument.id}; allowed item ids are {', '.join(instrument.item_ids)}"
            )
    missing = [item.id for item in instrument.items if item.required and item.id not in answers]
    if missing:
        raise InvalidAnswersError(
            f"{instrument.id} requires an answer to every item; missing: {', '.join(missing)}"
        )
    for group in instrument.answer_one_of:
        if not any(item_id in answers for item_id in group):
            raise InvalidAnswersError(
                f"{instrument.id} requires an answer to at least one of {', '.join(group)}"
            )
    return {item.id: _checked(item, answers[item.id]) for item in instrument.items if item.id in answers}


def _from_sequence(instrument: Instrument, answers: Sequence[int]) -> dict[str, int]:
    if len(answers) != len(instrument.items):
        raise InvalidAnswersError(
            f"{instrument.id} expects {len(instrument.items)} answers in form order "
            f"({instrument.items[0].id} to {instrument.items[-1].id}), got {len(answers)}"
        )
    return {item.id: _checked(item, value) for item, value in zip(instrument.items, answers, strict=True)}


def _checked(item: Item, value: object) -> int:
    """The answer as an int, or ``InvalidAnswersError`` naming the item and its allowed values."""
    # type() first: plain ints are the common case, and bool is an int subclass we must refuse.
    if type(value) is not int and (isinstance(value, bool) or not isinstance(value, Integral)):
        raise InvalidAnswersError(
            f"{item.id}: answer must be an integer option value, got {value!r} "
            f"({type(value).__name__}); allowed values are {_allowed(item)}"
        )
    number = int(value)  # an Integral (e.g. numpy.int64) converts exactly
    if number not in item.allowed_values:
        raise InvalidAnswersError(
            f"{item.id}: {number} is not an allowed answer; allowed values are {_allowed(item)}"
        )
    return number


def _allowed(item: Item) -> str:
    return ", ".join(str(v) for v in item.allowed_values)


def _aggregate(subscale: Subscale, values: Mapping[str, int]) -> Number:
    """The subscale score over the answered items of the subscale."""
    answered = [values[item_id] for item_id in subscale.items if item_id in values]
    if subscale.aggregate == "sum":
        return sum(answered)
    if subscale.aggregate == "max":
        return max(answered)
    return round(sum(answered) / len(answered), MEAN_DECIMALS)


def _level_rank(level: AlertLevel | None) -> int:
    """0 for an ungraded alert, 1..3 for low, moderate, high."""
    return 0 if level is None else ALERT_LEVELS.index(level) + 1


def _alerts(instrument: Instrument, values: Mapping[str, int]) -> tuple[ItemAlert, ...]:
    """One alert per code: the most urgent rule that fired, the first in form order among equals."""
    chosen: dict[str, tuple[int, ItemAlert]] = {}
    for rule in instrument.alert_rules:
        value = values.get(rule.item_id)
        if value is None or not rule.min_value <= value <= rule.max_value:
            continue
        rank = _level_rank(rule.level)
        if rule.code not in chosen or rank > chosen[rule.code][0]:
            alert = ItemAlert(
                code=rule.code, item_id=rule.item_id, value=value, message=rule.message, level=rule.level
            )
            chosen[rule.code] = (rank, alert)
    return tuple(alert for _, alert in chosen.values())


def _total(
    instrument: Instrument,
    values: Mapping[str, int],
    subscores: Mapping[str, Number],
    alerts: tuple[ItemAlert, ...],
) -> Number:
    """Apply the instrument's scoring rule (see ``model.ScoringRule``)."""
    if instrument.scoring == "sum_items":
        return sum(values.values())
    if instrument.scoring == "sum_subscales":
        return sum(subscores.values())
    if instrument.scoring == "subscale":
        return subscores[str(instrument.total_subscale)]  # the loader checked that it names a subscale
    return max((_level_rank(alert.level) for alert in alerts), default=0)
