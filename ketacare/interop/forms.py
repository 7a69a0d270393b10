"""The clinic admin's webhook form. The rules on the URL, the secret and the events are the service's
(``register_webhook``): the form only shapes the input and bounds its length."""

from __future__ import annotations

from django import forms

from ketacare.interop.webhooks import EVENTS, SECRET_MIN_CHARS

EVENT_LABELS = {
    "alert.created": "A new alert (alert.created)",
    "alert.escalated": "An alert escalated because nobody acknowledged it in time (alert.escalated)",
}


class WebhookForm(forms.Form):
    url = forms.CharField(
        label="Receiver URL",
        max_length=500,
        help_text="The https:// address of your integration engine or EHR that receives the POSTs.",
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"}),
    )
    # Never rendered back: a page that fails validation asks for the secret again.
    secret = forms.CharField(
        label="Shared secret",
        max_length=200,
        strip=False,
        help_text=f"At least {SECRET_MIN_CHARS} characters, a long random string; the receiver keeps the "
        "same one to check each delivery's signature. It is never shown again.",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=[(event, EVENT_LABELS.get(event, event)) for event in EVENTS],
        widget=forms.CheckboxSelectMultiple,
        initial=list(EVENTS),
        error_messages={"required": "events: choose at least one event to deliver."},
    )

    def events_text(self) -> str:
        """The events as the service takes them (space-separated)."""
        return " ".join(self.cleaned_data["events"])
