"""Events of the questionnaires app that apps on higher floors react to (docs/decisions/0010)."""

from django.dispatch import Signal

# Sent inside the submission's transaction once a valid response is stored, with ``patient`` and
# ``now``: a receiver's writes (e.g. a course alert) commit or roll back with the response itself.
response_stored = Signal()
