"""Events of the treatments app that apps on higher floors react to (docs/decisions/0010)."""

from django.dispatch import Signal

# Sent inside the dose's transaction when a dose is recorded and again when its amount becomes final
# (an infusion stopped), with ``dose`` and ``user``: a receiver may refuse by raising a
# ``ketacare.lib.errors.FieldError``, and the dose is then not stored (the controlled-drug register).
dose_recorded = Signal()
