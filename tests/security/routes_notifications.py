"""Routes of the notifications app in the authorisation matrix."""

from __future__ import annotations

from tests.security.routes import Route

ROUTES: list[Route] = [
    Route(
        "notifications:preferences",
        "patient",
        methods=("GET", "POST"),
        ok={"POST": 302},
        data=lambda p, t: {"email": "on", "quiet_start": "21:00", "quiet_end": "08:00"},
    ),
    Route(
        "notifications:push_subscription",
        "patient",
        methods=("POST",),
        ok={"POST": 201},
        data=lambda p, t: {"endpoint": "https://push.example.org/sub/1", "p256dh": "BKey", "auth": "secret"},
    ),
    # Twilio's inbound STOP/START webhook: CSRF-exempt, opened only by a valid X-Twilio-Signature.
    Route(
        "notifications:twilio_inbound",
        "webhook",
        methods=("POST",),
        data=lambda p, t: {"From": "+15550142", "To": "+15557770000", "Body": "STOP"},
    ),
]
