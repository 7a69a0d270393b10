"""A service's refusal (``FieldError``) on an HTML form, worded for the person who filled it in.

Services start their messages with the input's name ("emergency_number may hold digits ...") because
the API answers with them and its callers need that name. On a page the message stands under the
field's label, so the name is dropped there; a refusal that belongs to no field on the form names the
field by its label instead of its internal name.
"""

from __future__ import annotations

import re

from django import forms

from ketacare.lib.errors import FieldError


def _leading_name(field: str) -> re.Pattern[str]:
    # The name as a whole word, in any case, followed by a colon, a space or nothing.
    return re.compile(rf"{re.escape(field)}(?::\s*|\s+|$)", re.IGNORECASE)


# A plain lower-case word; an e-mail address, a quoted value or a unit ("mmHg") keeps its case.
_PLAIN_WORD = re.compile(r"[a-z][a-z'-]*(?=[\s,;:]|$)")


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:] if _PLAIN_WORD.match(text) else text


def field_message(field: str, message: str) -> str:
    """``message`` as it reads under the field it names: without the leading name, capitalised.

    "phone: give a mobile number" becomes "Give a mobile number"; "emergency_number is required (...)"
    becomes "Required (...)", since the label above already says what is required.
    """
    rest = message.strip()
    if field:
        match = _leading_name(field).match(rest)
        if match:
            rest = rest[match.end() :]
            if rest.lower().startswith("is "):
                rest = rest[3:]
    return _capitalised(rest or message.strip())


def form_message(field: str, message: str, label: str = "") -> str:
    """``message`` above the form: a leading field name replaced by ``label`` (or the name in words)."""
    text = message.strip()
    if field:
        match = _leading_name(field).match(text)
        if match:
            name = label or field.replace("_", " ")
            separator = ": " if ":" in match.group() else " "
            text = f"{name}{separator}{text[match.end() :]}".rstrip()
    return _capitalised(text)


def add_field_error(form: forms.BaseForm, error: FieldError) -> None:
    """Put a service's ``FieldError`` on ``form``: on the field it names, or above the form."""
    field = form.fields.get(error.field) if error.field else None
    if field is not None and not field.widget.is_hidden:
        form.add_error(error.field, field_message(error.field, error.message))
        return
    label = str(field.label) if field is not None and field.label else ""
    form.add_error(None, form_message(error.field, error.message, label))
