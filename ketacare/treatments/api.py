"""treatments API router."""

from ninja import Router

router = Router(tags=["treatments"])
