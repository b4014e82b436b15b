"""The summary of a page's form errors, drawn once by ``base.html`` for every page: a form that
comes back with errors lists them at the top of the page, each linking to its field, so that a
person on a phone sees at once that something is wrong and where (the fields themselves may be
far below the fold)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.forms import BaseForm

register = template.Library()


@dataclass(frozen=True)
class Problem:
    message: str
    label: str = ""
    target: str = ""  # the id of the input to go to; "" for a problem of the whole form


def _problems(form: BaseForm) -> list[Problem]:
    problems = [Problem(message=str(error)) for error in form.non_field_errors()]
    for name in form.errors:
        if name not in form.fields:
            continue  # the non-field errors, listed first
        field = form[name]
        # A choice of options or a date-and-time pair has no single input: go to the first.
        target = "" if field.is_hidden else (field.id_for_label or f"{field.auto_id}_0")
        for error in field.errors:
            problems.append(
                Problem(message=str(error), label=str(field.label or ""), target=target)
            )
    return problems


@register.simple_tag(takes_context=True)
def form_problems(context: Any) -> list[Problem]:
    """Every error of every form of the page, in the order the view put the forms."""
    problems: list[Problem] = []
    seen: set[int] = set()
    for value in context.flatten().values():
        # type(), not isinstance(): isinstance would wake lazy values (the user, the CSRF token).
        if not issubclass(type(value), BaseForm) or id(value) in seen:
            continue
        seen.add(id(value))
        if value.is_bound and value.errors:
            problems.extend(_problems(value))
    return problems
