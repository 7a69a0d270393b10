"""``get_<field>_display`` from a label table built once per model, not on every call.

Django's own method rebuilds the field's whole choice table each time it is called; a list page calls it
for every row and column (severity, source, state), which showed in the inbox's profile. The answer is
the same: the label of the value, or the value itself when it is not a choice.
"""

from __future__ import annotations

from functools import partialmethod
from typing import Any, TypeVar

from django.db import models
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable

M = TypeVar("M", bound=type[models.Model])


def labels_looked_up_once(model: M) -> M:
    """Class decorator: each field with a fixed list of choices gets a table-lookup display method."""
    for field in model._meta.concrete_fields:
        name = f"get_{field.name}_display"
        # Only Django's generated method is replaced (a partialmethod); a model's own stays.
        if not isinstance(field.choices, list | tuple) or not isinstance(
            model.__dict__.get(name), partialmethod
        ):
            continue
        labels = dict(make_hashable(field.flatchoices))

        def display(self: Any, _attname: str = field.attname, _labels: dict[Any, Any] = labels) -> Any:
            value = getattr(self, _attname)
            return force_str(_labels.get(make_hashable(value), value), strings_only=True)

        display.__name__ = name
        setattr(model, name, display)
    return model
