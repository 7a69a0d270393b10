"""interop API router."""

from ninja import Router

router = Router(tags=["interop"])
