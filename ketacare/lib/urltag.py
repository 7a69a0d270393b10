"""The template ``{% url %}`` tag, reversing each URL pattern once instead of once per link.

A list page links every row (an alert's page, its acknowledge form, the patient's timeline): Django's
tag walks the URL resolver for each of them, which was a large part of rendering a 50-row inbox. This
tag keeps Django's ``URLNode`` and its output; when every argument is a UUID (the public ids the
links carry) and there are no keyword arguments, it reverses the pattern once with a marker UUID and
fills the row's ids into that URL. A UUID's text needs no quoting, so the result is the one ``reverse``
gives. Any other call is Django's own. Installed as a template builtin (settings.TEMPLATES).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django import template
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()

_MARKER = uuid.UUID("5f0c8a52-7e1d-4b6a-9c33-2d8e4f1a6b70")
_MARKER_TEXT = str(_MARKER)
# (resolver, script prefix, view name, current app, number of arguments) -> (the resolver, the URL
# split at the marker, or None when the marker does not reverse). The resolver is kept and compared: a
# new URLconf (tests override it) is a new resolver.
_patterns: dict[tuple[Any, ...], tuple[Any, list[str] | None]] = {}


def _pattern(view_name: str, current_app: str | None, count: int) -> list[str] | None:
    resolver = get_resolver(get_urlconf())
    key = (id(resolver), get_script_prefix(), view_name, current_app, count)
    cached = _patterns.get(key)
    if cached is not None and cached[0] is resolver:
        return cached[1]
    try:
        parts: list[str] | None = reverse(view_name, args=[_MARKER] * count, current_app=current_app).split(
            _MARKER_TEXT
        )
    except NoReverseMatch:
        parts = None
    if parts is not None and len(parts) != count + 1:
        parts = None
    _patterns[key] = (resolver, parts)
    return parts


def uuid_url(view_name: str) -> Callable[[uuid.UUID], str]:
    """A function giving ``reverse(view_name, args=[id])`` for one UUID, the pattern looked up once.

    For code that builds many rows' links itself (the alert inbox's rows); the same text as ``reverse``.
    """
    parts = _pattern(view_name, None, 1)
    if parts is None:
        return lambda public_id: reverse(view_name, args=[public_id])
    before, after = parts
    return lambda public_id: f"{before}{public_id}{after}"


class CachedURLNode(URLNode):
    """Django's URLNode; rows of UUID links reuse one reversal of their pattern."""

    def render(self, context: template.Context) -> str:
        if self.kwargs:
            return str(super().render(context))
        args = [arg.resolve(context) for arg in self.args]
        if not all(isinstance(arg, uuid.UUID) for arg in args):
            return str(super().render(context))
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app  # type: ignore[attr-defined]
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace  # type: ignore[attr-defined]
            except AttributeError:
                current_app = None
        parts = _pattern(str(view_name), current_app, len(args))
        if parts is None:
            return str(super().render(context))
        url = parts[0] + "".join(str(arg) + part for arg, part in zip(args, parts[1:], strict=True))
        if self.asvar:
            context[self.asvar] = url
            return ""
        return str(conditional_escape(url)) if context.autoescape else url


@register.tag
def url(parser: template.base.Parser, token: template.base.Token) -> URLNode:
    """``{% url %}`` as Django parses it, rendered by CachedURLNode."""
    node = django_url(parser, token)
    return CachedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
