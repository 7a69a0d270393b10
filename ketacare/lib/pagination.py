"""Pages of the JSON API's lists: ``limit``/``offset`` in, ``count``, ``next`` and ``results`` out.

Every list operation is decorated with ``@paginate(LinkedPagination)`` under its route, so the OpenAPI
document names the two query parameters with their bounds and the page schema with its ``next`` link
(docs/decisions/0019). ``next`` is the absolute URL of the following page (the request's own query with
the offset moved on), or null on the last page. A handler may return a queryset, a list, or a
:class:`Mapped` sequence that turns only the rows of the page into their output.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# A deeper offset than this is refused: nothing the product lists is that long, and a huge OFFSET is slow.
MAX_OFFSET = 1_000_000

T = TypeVar("T")
R = TypeVar("R")


class Mapped(Generic[T, R]):
    """Rows and the function that renders one: only the rows of the requested page are rendered."""

    def __init__(self, rows: QuerySet[Any] | Sequence[T], render: Callable[[T], R]) -> None:
        self.rows, self.render = rows, render

    def count(self) -> int:
        return self.rows.count() if isinstance(self.rows, QuerySet) else len(self.rows)

    def page(self, start: int, stop: int) -> list[R]:
        return [self.render(row) for row in self.rows[start:stop]]


class LinkedPagination(PaginationBase):
    """``limit`` (1-200, default 50) and ``offset`` (0 or more); the page carries ``count`` and ``next``."""

    class Input(Schema):
        limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="How many items per page")
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="How many items to skip")

    class Output(Schema):
        count: int = Field(description="How many items the whole list holds")
        next: str | None = Field(description="URL of the next page; null on the last page")
        results: list[Any]

    items_attribute = "results"

    def paginate_queryset(self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any) -> Any:
        limit, offset = pagination.limit, pagination.offset
        if isinstance(queryset, Mapped):
            count, results = queryset.count(), queryset.page(offset, offset + limit)
        else:
            count = queryset.count() if isinstance(queryset, QuerySet) else len(queryset)
            results = list(queryset[offset : offset + limit])
        return {"count": count, "next": next_url(request, offset + limit, limit, count), "results": results}


def next_url(request: HttpRequest, offset: int, limit: int, count: int) -> str | None:
    """The following page's absolute URL (the same query, the offset moved on), or None after the last."""
    if offset >= count:
        return None
    query = request.GET.copy()
    query["offset"] = str(offset)
    query["limit"] = str(limit)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
