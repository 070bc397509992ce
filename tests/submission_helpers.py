"""Helpers for the save-once tests (core/submission.py): the keys a page drew, and a form
posted twice with the same key."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.messages import get_messages

_KEY_FIELD = re.compile(r'name="submission_key" value="([^"]+)"')


def form_keys(page: Any) -> list[str]:
    """The one-time keys of every create form on a page, in page order."""
    return _KEY_FIELD.findall(page.content.decode())


def post_twice(client: Any, url: str, data: dict[str, Any]) -> Any:
    """POST the same data (and key) twice: both redirect to the same place and the second
    says it was already saved. Returns the second response."""
    first = client.post(url, data)
    again = client.post(url, data)
    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"]
    assert any(str(m).startswith("Already saved") for m in get_messages(again.wsgi_request))
    return again
