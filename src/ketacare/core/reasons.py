"""A documented reason someone reading the chart later can act on: a few words, not "ok".

Every decision a clinician must explain uses the same floor — a hold overridden, dosing stopped,
a discharge override, a risk flag acknowledged or resolved, a dosing block cleared. It is a
documentation rule of this project, not a clinical number.
"""

from __future__ import annotations

from typing import Any

MIN_CHARS = 10
MIN_WORDS = 2
FLOOR = f"at least {MIN_WORDS} words and {MIN_CHARS} characters"


def is_few_words(text: Any) -> bool:
    """True when `text` (stripped) is long enough to count as a documented reason."""
    reason = str(text or "").strip()
    return len(reason) >= MIN_CHARS and len(reason.split()) >= MIN_WORDS
