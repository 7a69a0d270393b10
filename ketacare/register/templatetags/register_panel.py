"""`{% controlled_drugs_panel session %}`: the run-sheet shows the register's panel in its own response.

The run-sheet (treatments, a lower floor) names this tag library in its template instead of importing
the register: rendered in the same response, the panel needs no second request (and no second audit
row) and works without JavaScript; the run-sheet view has already opened the session through
`access_session`.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from ketacare.register.views import panel_context

register = template.Library()


@register.simple_tag(takes_context=True)
def controlled_drugs_panel(context: template.Context, session: Any) -> SafeString:
    request = context.get("request")
    if request is None:
        return mark_safe("")  # noqa: S308 - an empty string
    html = render_to_string("register/_session_panel.html", panel_context(request, session), request=request)
    return mark_safe(html)  # noqa: S308 - rendered by the template engine, autoescaped there
