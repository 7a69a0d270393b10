"""`{% controlled_drugs_panel session %}`: the run-sheet shows the register's panel in its own response.

The run-sheet (treatments, a lower floor) names this tag library in its template instead of importing
the register: rendered in the same response, the panel needs no second request (and no second audit
row) and works without JavaScript; the run-sheet view has already opened the session through
`access_session`.
"""

from __future__ import annotations

from typing import Any

from django import template

from ketacare.register.views import NOT_STARTED_STATES, panel_context

register = template.Library()


@register.inclusion_tag("register/_session_panel.html", takes_context=True)
def controlled_drugs_panel(context: template.Context, session: Any) -> dict[str, Any]:
    request = context.get("request")
    if request is None:
        return {"session": session, "settings_row": None, "show": session.state not in NOT_STARTED_STATES}
    # The forms' {% csrf_token %} reads the token from the including page's context.
    return {**panel_context(request, session), "request": request, "csrf_token": context.get("csrf_token")}
