"""Events of the treatments app that apps on higher floors react to (docs/decisions/0010)."""

from django.dispatch import Signal

# Sent inside the dose's transaction when a dose is recorded and again when its amount becomes final
# (an infusion stopped), with ``dose`` and ``user``: a receiver may refuse by raising a
# ``ketacare.lib.errors.FieldError``, and the dose is then not stored (the controlled-drug register).
dose_recorded = Signal()

# Sent by ``selectors.readiness`` (the run-sheet's checklist, the clinic day's state and, inside the
# discharge's transaction, ``discharge_session``) with ``session`` and ``now``: each receiver returns a
# sequence of ``ketacare.core.monitoring.UnmetCriterion`` (empty when it has nothing to add), appended
# to the core's unmet criteria. Not a door criterion, so the session does not read "ready for
# discharge"; a prescriber may override it with a reason like the core's overridable criteria (the
# controlled-drug register: a draw of the session not yet accounted for, ``controlled_drug_open``).
# A receiver reads, never writes, and asks one query at most: the run-sheet asks once per render.
# ``services.cancel_session`` asks it too (``selectors.criteria_of_higher_floors``) and refuses a
# cancellation while ``controlled_drug_open`` is among the replies: drawn drug is accounted for before
# the session ends either way.
discharge_criteria = Signal()
