"""Refusals shown on staff forms in the clinician's words, not the code's.

Actions and clinical rules name the field at fault at the start of their messages
("systolic_mmhg: 400 is outside 40-300.") so an API client or a log knows which input it was.
A clinician reads the message next to the labelled field, where the internal name is noise, or
in a summary, where the field's label says the same thing in their words. The messages
themselves stay as the rules wrote them; only the prefix changes at this display boundary.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django import forms


def _prefixed(message: str, name: str) -> bool:
    return message.startswith(f"{name}: ")


def without_prefix(message: str, name: str | None) -> str:
    """The message without a leading "<name>: " (unchanged when it has none)."""
    if name and _prefixed(message, name):
        return message[len(name) + 2 :]
    return message


def labelled(form: forms.BaseForm | Mapping[str, str], message: str) -> str:
    """For a summary: a leading "<field name>: " becomes that field's label (from a form's
    fields, or a mapping of names to labels); any other message is unchanged."""
    head, sep, rest = message.partition(": ")
    if not sep:
        return message
    if isinstance(form, forms.BaseForm):
        label = form[head].label if head in form.fields else None
    else:
        label = form.get(head)
    return f"{label}: {rest}" if label else message


def add_refusal(
    form: forms.BaseForm, field: str | None, message: str, *, named: str | None = None
) -> None:
    """Attach a refusal to the form: next to `field` without the field's name in front (or the
    name `named`, when the message names another input shown in that field), or, when it names
    no field of the form, to the form as a whole with the label in front."""
    if field and field in form.fields:
        message = without_prefix(without_prefix(message, named or field), field)
        # The same words already under the field (a re-validation of the same value): once.
        if message in form.errors.get(field, []):
            return
        form.add_error(field, message)
    else:
        message = labelled(form, message)
        if message in form.non_field_errors():
            return
        form.add_error(None, message)


def add_refusals(form: forms.BaseForm, problems: Iterable[tuple[str, str]]) -> None:
    """Every (field, message) at once, each next to its field."""
    for field, message in problems:
        add_refusal(form, field, message)
