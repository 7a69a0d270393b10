"""The cached {% url %} tag and the looked-up choice labels answer exactly what Django's own do."""

from __future__ import annotations

import uuid

import pytest
from django.db import models
from django.template import Context, Engine, Template, engines
from django.template.exceptions import TemplateSyntaxError
from django.urls import NoReverseMatch, reverse
from django.utils.hashable import make_hashable

from ketacare.alerts.models import Alert
from ketacare.lib.urltag import CachedURLNode
from ketacare.patients.models import Patient


def _both(source: str, context: dict[str, object]) -> tuple[str, str]:
    """The text rendered by the project's engine (cached tag) and by a plain Django engine."""
    ours = engines["django"].from_string(source).render(context)
    plain = Template(source, engine=Engine()).render(Context(context))
    return ours, plain


def test_the_project_engine_uses_the_cached_tag() -> None:
    template = engines["django"].from_string("{% url 'alerts:detail' alert_id %}")
    assert any(isinstance(node, CachedURLNode) for node in template.template.nodelist)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "source",
    [
        "{% url 'alerts:detail' a %}|{% url 'alerts:detail' b %}",
        "{% url 'outcomes:timeline' a %} {% url 'alerts:acknowledge' b %}",
        "{% url 'home' %} {% url 'patients:list' %}",
        "{% url 'alerts:detail' a as link %}[{{ link }}]",
        "{% url 'alerts:detail' text %}",  # not a UUID: Django's own path
        "{% url 'patients:detail' patient_id=a %}",  # keyword arguments: Django's own path
        "{% url 'no:such' a as link %}[{{ link }}]",  # unknown with asvar: empty, as Django's
    ],
)
def test_the_cached_tag_renders_what_django_renders(source: str) -> None:
    context = {"a": uuid.uuid4(), "b": uuid.uuid4(), "text": "a&b"}
    ours, plain = _both(source, context)
    assert ours == plain and ours


def test_each_row_gets_its_own_ids() -> None:
    ids = [uuid.uuid4() for _ in range(5)]
    rendered = engines["django"].from_string("{% for i in ids %}{% url 'alerts:detail' i %};{% endfor %}")
    assert rendered.render({"ids": ids}).split(";")[:-1] == [reverse("alerts:detail", args=[i]) for i in ids]


def test_an_unknown_name_still_fails_loudly() -> None:
    with pytest.raises(NoReverseMatch):
        engines["django"].from_string("{% url 'no:such' a %}").render({"a": uuid.uuid4()})
    with pytest.raises(TemplateSyntaxError):
        engines["django"].from_string("{% url %}")


def _django_display(instance: models.Model, name: str) -> object:
    field = instance._meta.get_field(name)
    value = getattr(instance, field.attname)  # type: ignore[union-attr]
    return dict(make_hashable(field.flatchoices)).get(make_hashable(value), value)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("instance", "names"),
    [
        (Alert(severity="urgent", source="red_flag_checkin", state="open"), ("severity", "source", "state")),
        (Alert(severity="not-a-choice", source="", state="resolved"), ("severity", "source", "state")),
        (Patient(stage="induction", sex="female"), ("stage", "sex")),
        (Patient(stage="", sex="nonsense"), ("stage", "sex")),
    ],
)
def test_choice_labels_are_djangos(instance: models.Model, names: tuple[str, ...]) -> None:
    for name in names:
        assert getattr(instance, f"get_{name}_display")() == str(_django_display(instance, name))
