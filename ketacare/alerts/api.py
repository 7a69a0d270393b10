"""alerts API router."""

from ninja import Router

router = Router(tags=["alerts"])
