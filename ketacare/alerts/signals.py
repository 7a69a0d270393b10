"""Events of the alerts app that apps on higher floors react to (docs/decisions/0010, 0019).

Both are sent inside the transaction that creates or escalates the alert, with ``alert``: a receiver's
writes (e.g. a webhook outbox row) commit or roll back with the alert itself. They are sent with
``send_robust``: a failing receiver is logged and never costs the alert.
"""

from django.dispatch import Signal

# A new alert was created (never for a repeat of the same cause, which returns the open alert).
alert_raised = Signal()
# An alert left unacknowledged past the clinic's time was escalated (once per alert).
alert_escalated = Signal()
