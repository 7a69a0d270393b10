"""The patient's journal, the staff view of shared entries, and the Learn pages."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.gates import patient_required, staff_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.core import dayrules
from ketacare.core import knowledge as kb
from ketacare.core.display import name_for
from ketacare.core.protocols import get_route, route_ids
from ketacare.journal.forms import JournalForm
from ketacare.journal.prompts import BASIS, get_prompt, prompts_for
from ketacare.journal.selectors import (
    MESSAGE_MAX_CHARS,
    days_since_last_session,
    own_entries,
    red_flag_screen,
    shared_entries,
)
from ketacare.journal.services import set_journal_sharing, write_journal_entry
from ketacare.lib.errors import FieldError
from ketacare.lib.forms import add_field_error
from ketacare.patients.facts import patient_route
from ketacare.patients.selectors import access_patient, clinic_contact_for

SEARCH_MAX_CHARS = 100
TOPIC_TITLES = {
    "session": "What happens in a session",
    "how_it_works": "How ketamine is thought to work",
    "success": "How likely it is to help",
    "maintenance": "After the first series",
    "risks": "Risks and side effects",
    "preparation": "Preparing for a session",
    "aftercare": "After a session",
    "faq": "Frequently asked questions",
}


@patient_required
def journal(request: AuthenticatedRequest) -> HttpResponse:
    """Write an entry (private unless shared), answer a prompt timed to the last session, share or unshare."""
    now = timezone.now()
    patient = access_patient(
        request.user, request.user.patient.public_id, action="write" if request.method == "POST" else "read"
    )
    status = 200
    if request.method == "POST" and request.POST.get("action") in ("share", "unshare"):
        entry = own_entries(patient=patient).filter(public_id=_uuid(request.POST.get("entry", ""))).first()
        if entry is not None:
            set_journal_sharing(entry=entry, shared_with_clinic=request.POST["action"] == "share")
        return redirect("journal:journal")
    if request.method == "POST":
        form = JournalForm(request.POST)
        if form.is_valid():
            try:
                outcome = write_journal_entry(
                    patient=patient,
                    text=form.cleaned_data["text"],
                    shared_with_clinic=form.cleaned_data["shared_with_clinic"],
                    prompt_id=form.cleaned_data["prompt_id"],
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    now=now,
                )
            except FieldError as error:
                add_field_error(form, error)
            else:
                if red_flag_screen(outcome.entry.text) is not None:
                    # Nobody watches the journal: words of a red flag bring the patient back to where to
                    # turn now, with the offer to send them to the care team (which raises the alert).
                    return redirect(f"{reverse('journal:journal')}?help={outcome.entry.public_id}")
                return redirect("journal:journal")
        status = 400
    else:
        form = JournalForm(initial={"idempotency_key": uuid.uuid4().hex})
    help_entry = None
    if request.method == "GET" and request.GET.get("help"):
        help_entry = own_entries(patient=patient).filter(public_id=_uuid(request.GET["help"])).first()
    screen = red_flag_screen(help_entry.text) if help_entry is not None else None
    days = days_since_last_session(patient, now=now)
    return render(
        request,
        "journal/journal.html",
        {
            "patient": patient,
            # The "not for emergencies" note: where to turn, and whether the clinic is open now.
            "clinic": patient.clinic,
            "contact": clinic_contact_for(patient, now),
            "form": form,
            "prompts": prompts_for(days),
            "prompt_basis": BASIS,
            "days": days,
            "entries": _with_prompts(own_entries(patient=patient)[:100]),
            "help": (
                {
                    "screen": screen,
                    "body": help_entry.text[:MESSAGE_MAX_CHARS],
                    "cut": len(help_entry.text) > MESSAGE_MAX_CHARS,
                    "idempotency_key": uuid.uuid4().hex,
                }
                if help_entry is not None and screen is not None
                else None
            ),
        },
        status=status,
    )


def _with_prompts(entries: Any) -> list[Any]:
    rows = list(entries)
    for entry in rows:
        prompt = get_prompt(entry.prompt_id) if entry.prompt_id else None
        entry.prompt_text = prompt.text if prompt else ""
    return rows


def _uuid(value: str) -> Any:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@staff_required
def staff_journal(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """Staff see only the entries the patient shared, each screened again as it is read.

    The journal raises no alert (docs/decisions/0028): words of a red flag in a shared entry are marked
    for whoever reads it, with the red flag named, so an old entry is not read as an ordinary one.
    """
    patient = access_patient(request.user, patient_id)
    entries = [
        {"entry": entry, "red_flags": _red_flag_names(entry.text)}
        for entry in shared_entries(patient=patient)[:100]
    ]
    return render(request, "journal/staff_journal.html", {"patient": patient, "entries": entries})


def _red_flag_names(text: str) -> list[str]:
    screen = red_flag_screen(text)
    return [name_for(flag) for flag in dict.fromkeys(screen.red_flag_ids)] if screen is not None else []


def _learn_row(entry: Any, route: str) -> dict[str, Any]:
    row = {
        "entry": entry,
        "answer": entry.answer,
        "topic": TOPIC_TITLES.get(entry.topic, entry.topic.replace("_", " ").capitalize()),
        "evidence": entry.evidence.plain,
        "sources": [kb.get_source(s) for s in entry.sources],
    }
    if entry.id == "driving":
        # The driving answer is the day-rule engine's own words (core.dayrules), as on every page: the
        # patient's own route's rule when it is known, each route's rule under its name when not.
        row["answer"] = dayrules.driving_rule_words(route or None)
        if route:
            # The rule shown is that route's rule: its own evidence and sources (protocols.toml).
            cited = get_route(route).driving.cited
            row["evidence"] = kb.Evidence(cited.evidence).plain
            row["sources"] = [kb.get_source(s) for s in cited.sources]
    return row


@patient_required
def learn(request: AuthenticatedRequest) -> HttpResponse:
    """Education from the core, searchable in plain words, each answer with sources and evidence.

    Where an answer depends on the treatment (driving), a patient whose route is known reads their own
    route's rule (``patients.facts.patient_route``); without one, each route's rule under its name."""
    query = request.GET.get("q", "")[:SEARCH_MAX_CHARS]
    entries = kb.search_education(query) if query.strip() else kb.education_entries()
    patient = access_patient(request.user, request.user.patient.public_id)
    route = patient_route(patient, now=timezone.now()) if any(e.id == "driving" for e in entries) else ""
    rows = [_learn_row(e, route if route in route_ids() else "") for e in entries]
    template = "journal/_learn_results.html" if request.htmx else "journal/learn.html"
    if not query.strip():
        order = list(TOPIC_TITLES.values())
        rows.sort(key=lambda row: order.index(row["topic"]) if row["topic"] in order else len(order))
    # An empty search still shows where help is: a patient may be searching because they feel unsafe.
    return render(request, template, {"rows": rows, "query": query, "clinic": patient.clinic})
