"""The patient's discharge instructions for one session: the page and its PDF."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from ketacare.accounts.gates import staff_object_view
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.treatments import instructions, selectors


@staff_object_view("treatment_session", "session_id")
@require_GET
def discharge_instructions(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
    """The patient's discharge instructions for this session (to explain and hand over)."""
    session = selectors.access_session(request.user, session_id)
    context = instructions.build(session, timezone.now())
    return render(request, "treatments/instructions.html", context)


@staff_object_view("treatment_session", "session_id", action="export")
@require_GET
def discharge_instructions_pdf(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
    """The same instructions as a PDF for printing (WeasyPrint)."""
    session = selectors.access_session(request.user, session_id, action="export")
    context = instructions.build(session, timezone.now())
    html = render_to_string("treatments/instructions_pdf.html", context)
    response = HttpResponse(instructions.to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="discharge-instructions.pdf"'
    return response
