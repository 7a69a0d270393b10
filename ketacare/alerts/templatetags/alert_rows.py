"""The inbox's rows and an alert's acknowledge/resolve forms, written in Python.

The inbox lists up to 50 alerts, each with two links, a relative time and its action forms. Through the
template engine that was about a millisecond a row, most of the page's cost (bench/profile_requests.py);
built with ``format_html``, as Django's admin builds its change-list rows, it is a small fraction of that.
Every value goes through ``format_html``, which escapes it. ``{% alert_actions %}`` is the one source
of the action forms, on the inbox and on an alert's own page (docs/decisions/0027).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from ketacare.alerts.models import Alert
from ketacare.alerts.resolution import FIELD_NAMES
from ketacare.alerts.services import ASSESSED_BY_MAX_CHARS, RESOLUTION_NOTE_MIN_CHARS, resolution_note_reason
from ketacare.lib.urltag import uuid_url
from ketacare.patients.templatetags.ketacare_display import ago

register = template.Library()

# Each note field says in its label whether it must be filled: acknowledging always needs one (who took
# it and what they are doing, for the rest of the staff); resolving only an emergency or suicide-risk
# alert, whose form also says why (services.resolution_note_reason).
ACKNOWLEDGE_LABEL = "Note (required)"
# Said in the box, not the label: a longer label wraps in the inbox's action column and a desk screen
# then shows half as many open alerts.
ACKNOWLEDGE_PLACEHOLDER = "What you are doing about it"
# An emergency or a suicide risk: what was done, what became of the patient and who assessed them
# (alerts.resolution), each labelled in the words its refusals use.
RESOLVE_REQUIRED_LABEL = f"{FIELD_NAMES['note']} (required: what was done and the outcome)"
RESOLVE_OPTIONAL_LABEL = "Resolution note (optional)"
OUTCOME_LABEL = f"{FIELD_NAMES['outcome']} (required)"
OUTCOME_PROMPT = "Choose one"
ASSESSED_BY_LABEL = f"{FIELD_NAMES['assessed_by']} (required: name and role)"
ASSESSED_BY_PLACEHOLDER = "For example: Dr Ana Ruiz, psychiatrist"


def _name(user: Any) -> str:
    return str(getattr(user, "full_name", "") or user.email)


def _csrf_input(context: template.Context) -> SafeString:
    token = context.get("csrf_token")
    if not token or str(token) == "NOTPROVIDED":
        return SafeString("")
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', str(token))


class _Page:
    """What every row of one page shares: the CSRF field, the caller's role and the links."""

    def __init__(self, context: template.Context) -> None:
        self.csrf = _csrf_input(context)
        self.is_prescriber = bool(context.get("is_prescriber"))
        # Why a resolve was refused, by field, and what was sent, when the alert's page is shown again.
        self.resolve_errors: dict[str, str] = dict(context.get("resolve_errors") or {})
        self.resolve_values: dict[str, str] = dict(context.get("resolve_values") or {})
        self.detail = uuid_url("alerts:detail")
        self.acknowledge = uuid_url("alerts:acknowledge")
        self.resolve = uuid_url("alerts:resolve")
        self.timeline = uuid_url("outcomes:timeline")


def actions_html(alert: Alert, page: _Page, next_page: str = "") -> SafeString:
    """Acknowledge (open), resolve (acknowledged) or why it cannot be resolved here."""
    csrf = page.csrf
    hidden = format_html('<input type="hidden" name="next" value="{}">', next_page) if next_page else ""
    parts: list[SafeString] = []
    if alert.state == Alert.State.OPEN:
        parts.append(
            format_html(
                '<form method="post" action="{}" class="alert-action">\n  {}{}\n'
                '  <label for="note-{}">{}</label>\n'
                '  <textarea id="note-{}" name="note" rows="2" maxlength="2000" required'
                ' aria-required="true" placeholder="{}"></textarea>\n'
                '  <button type="submit">Acknowledge</button>\n</form>',
                page.acknowledge(alert.public_id),
                csrf,
                hidden,
                alert.public_id,
                ACKNOWLEDGE_LABEL,
                alert.public_id,
                ACKNOWLEDGE_PLACEHOLDER,
            )
        )
    if alert.resolved_by_cause and alert.state != Alert.State.RESOLVED:
        if alert.source == Alert.Source.REGISTER_COUNT:
            discrepancy = (alert.evidence or {}).get("discrepancy")
            anchor = f"#discrepancy-{discrepancy}" if discrepancy else ""
            how = format_html(
                'an administrator or a prescriber writes <a href="{}{}">the investigation note in the '
                "controlled-drug register</a>",
                reverse("register:home"),
                anchor,
            )
        else:
            how = SafeString("complete the record that raised it")
        parts.append(format_html('<p class="alert-action muted">To resolve it, {}</p>', how))
    elif alert.state != Alert.State.RESOLVED and alert.needs_prescriber and not page.is_prescriber:
        parts.append(
            SafeString(
                '<p class="alert-action muted">Only a prescriber can resolve this alert: it holds the next '
                "dose until a prescriber has reviewed the patient.</p>"
            )
        )
    elif alert.state == Alert.State.ACKNOWLEDGED:
        parts.append(_resolve_form(alert, page, hidden))
    return format_html_join("\n", "{}", ((part,) for part in parts))


def _field_error(field_id: str, page: _Page, field: str) -> tuple[SafeString | str, list[str]]:
    """A refused field's message (``role="alert"``) and the id that describes its input, if refused."""
    message = page.resolve_errors.get(field, "")
    if not message:
        return "", []
    error_id = f"{field_id}-error"
    shown = format_html('  <p id="{}" class="field-error" role="alert">{}</p>\n', error_id, message)
    return shown, [error_id]


def _described(ids: list[str], invalid: bool) -> SafeString:
    attrs = SafeString(' aria-invalid="true"') if invalid else SafeString("")
    if ids:
        attrs = format_html('{} aria-describedby="{}"', attrs, " ".join(ids))
    return attrs


def _resolve_form(alert: Alert, page: _Page, hidden: SafeString | str) -> SafeString:
    """The resolve form. An emergency or suicide-risk alert is closed only with its record complete (the
    outcome chosen, who assessed the patient, a note of at least 20 characters saying what was done and
    the outcome); the form says so, and why, before anyone presses Resolve, and after a refusal says
    what each field must hold, keeping what was typed."""
    uid = alert.public_id
    reason = resolution_note_reason(alert)
    if not reason:
        return format_html(
            '<form method="post" action="{}" class="alert-action">\n  {}{}\n'
            '  <label for="rnote-{}">{}</label>\n'
            '  <textarea id="rnote-{}" name="note" rows="1" maxlength="2000"></textarea>\n'
            '  <button type="submit">Resolve</button>\n</form>',
            page.resolve(uid),
            page.csrf,
            hidden,
            uid,
            RESOLVE_OPTIONAL_LABEL,
            uid,
        )
    values = page.resolve_values
    chosen = values.get("outcome", "")
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, SafeString(" selected") if value == chosen else "", label)
            for value, label in Alert.Outcome.choices
        ),
    )
    outcome_error, outcome_ids = _field_error(f"routcome-{uid}", page, "outcome")
    assessed_error, assessed_ids = _field_error(f"rassessed-{uid}", page, "assessed_by")
    note_error, note_ids = _field_error(f"rnote-{uid}", page, "note")
    return format_html(
        '<form method="post" action="{}" class="alert-action resolve-required">\n  {}{}\n'
        '  <p id="rnote-why-{}" class="hint" data-testid="note-required-why">{}</p>\n'
        '  <label for="routcome-{}">{}</label>\n{}'
        '  <select id="routcome-{}" name="outcome" required aria-required="true"{}>'
        '<option value="">{}</option>{}</select>\n'
        '  <label for="rassessed-{}">{}</label>\n{}'
        '  <input id="rassessed-{}" name="assessed_by" type="text" maxlength="{}" required'
        ' aria-required="true" placeholder="{}" value="{}"{}>\n'
        '  <label for="rnote-{}">{}</label>\n{}'
        '  <textarea id="rnote-{}" name="note" rows="2" maxlength="2000" required aria-required="true"'
        ' minlength="{}"{}>{}</textarea>\n'
        '  <button type="submit">Resolve</button>\n</form>',
        page.resolve(uid),
        page.csrf,
        hidden,
        uid,
        reason,
        uid,
        OUTCOME_LABEL,
        outcome_error,
        uid,
        _described(outcome_ids, bool(outcome_ids)),
        OUTCOME_PROMPT,
        options,
        uid,
        ASSESSED_BY_LABEL,
        assessed_error,
        uid,
        ASSESSED_BY_MAX_CHARS,
        ASSESSED_BY_PLACEHOLDER,
        values.get("assessed_by", ""),
        _described(assessed_ids, bool(assessed_ids)),
        uid,
        RESOLVE_REQUIRED_LABEL,
        note_error,
        uid,
        RESOLUTION_NOTE_MIN_CHARS,
        _described([*note_ids, f"rnote-why-{uid}"], bool(note_ids)),
        values.get("note", ""),
    )


def _outcome(alert: Alert) -> SafeString | str:
    """What became of the patient and who assessed them, as recorded when it was resolved (in full: the
    outcome is what the next clinician reads first)."""
    if not alert.resolution_outcome:
        return ""
    assessed = (
        format_html("; assessed by {}", alert.resolution_assessed_by) if alert.resolution_assessed_by else ""
    )
    return format_html(
        '<br><span class="resolution-outcome" data-testid="resolution-outcome">Outcome: {}{}</span>',
        alert.get_resolution_outcome_display(),
        assessed,
    )


def _note(alert: Alert) -> SafeString | str:
    """The note that goes with the alert's state, labelled: a resolved alert's acknowledge note is not
    what was done, so it shows its resolution note (or says it has none)."""
    if alert.state == Alert.State.RESOLVED:
        outcome = _outcome(alert)
        if not alert.resolution_note:
            return format_html('{}<br><span class="muted">No resolution note</span>', outcome)
        return format_html(
            '{}<br><span class="muted">Resolution note: {}</span>',
            outcome,
            Truncator(alert.resolution_note).chars(80),
        )
    elif alert.note:
        label, text = "Acknowledge note", alert.note
    else:
        return ""
    return format_html('<br><span class="muted">{}: {}</span>', label, Truncator(text).chars(80))


def _row(alert: Alert, page: _Page) -> SafeString:
    escalated = ""
    if alert.escalated_at:
        to = format_html(" to {}", _name(alert.escalated_to)) if alert.escalated_to else ""
        escalated = format_html('<br><strong class="escalated-label">Escalated{}</strong>', to)
    if alert.patient:
        who = format_html(
            '<a href="{}">{}</a>', page.timeline(alert.patient.public_id), alert.patient.full_name
        )
    else:
        who = SafeString('<span class="muted">The clinic (no patient)</span>')
    assignee = (
        format_html('<br><span class="muted">for {}</span>', _name(alert.assignee)) if alert.assignee else ""
    )
    note = _note(alert)
    created = timezone.localtime(alert.created_at)
    return format_html(
        '<tr class="sev-{}{}">\n'
        '  <td data-label="Severity"><span class="sev sev-{}">{}</span></td>\n'
        '  <td data-label="Alert"><a href="{}">{}</a>{}</td>\n'
        '  <td data-label="Patient">{}{}</td>\n'
        '  <td data-label="Source">{}</td>\n'
        '  <td data-label="Raised"><time datetime="{}">{}</time></td>\n'
        '  <td data-label="State">{}{}</td>\n'
        '  <td data-label="Action">{}</td>\n'
        "</tr>",
        alert.severity,
        " escalated" if alert.escalated_at else "",
        alert.severity,
        alert.get_severity_display(),
        page.detail(alert.public_id),
        alert.title,
        escalated,
        who,
        assignee,
        alert.get_source_display(),
        created.isoformat(),
        ago(alert.created_at),
        alert.get_state_display(),
        note,
        actions_html(alert, page, next_page="inbox"),
    )


@register.simple_tag(takes_context=True)
def inbox_rows(context: template.Context, alerts: Any) -> SafeString:
    """The inbox table's rows for one page of alerts, or the empty-state row."""
    page = _Page(context)
    rows = [_row(alert, page) for alert in alerts]
    if not rows:
        return SafeString('<tr><td colspan="7">No alerts match.</td></tr>')
    return format_html_join("\n", "{}", ((row,) for row in rows))


@register.simple_tag(takes_context=True)
def alert_actions(context: template.Context, alert: Alert, next_page: str = "") -> SafeString:
    """The acknowledge/resolve forms of one alert (its own page)."""
    return actions_html(alert, _Page(context), next_page)
