"""checkins API router."""

from ninja import Router

router = Router(tags=["checkins"])
