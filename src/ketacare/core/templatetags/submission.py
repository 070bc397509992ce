"""`{% submission_key %}`: the hidden one-time key of a create form (see core/submission.py).

A new key each time the form is drawn: a re-shown form was not saved, so its key was never
stored, and the one page drawn carries the one key that both presses of Save send.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from ketacare.core.submission import FORM_FIELD, new_key

register = template.Library()


@register.simple_tag
def submission_key() -> SafeString:
    return format_html('<input type="hidden" name="{}" value="{}">', FORM_FIELD, new_key())
