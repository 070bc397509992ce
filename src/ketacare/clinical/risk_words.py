"""Words in a patient's free-text message that call for crisis resources and a staff flag.

Pure Python. The phrases follow the ideas the C-SSRS screener asks about (wish to be dead,
active suicidal thoughts, method, intent, preparatory behaviour; shared/reference/clinical.md
§16b, S50) and self-harm, in the words patients use. Which phrases to watch is practice
variation ([PRACTICE]; there is no validated keyword list in shared/reference), so a clinic can
add its own (`extra`); the defaults are deliberately broad: a false alarm costs a staff
member a minute, a missed one can cost a life. Matching is on whole words, case- and
apostrophe-insensitive. It never replaces a clinician reading the message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_RISK_PHRASES: tuple[str, ...] = (
    # C-SSRS Q1 (wish to be dead) — clinical.md §16b
    "want to die",
    "wish i was dead",
    "wish i were dead",
    "better off dead",
    "better off without me",
    "not want to be here",
    "dont want to be here",
    "dont want to live",
    "no reason to live",
    "not wake up",
    # C-SSRS Q2 (active thoughts) — §16b
    "kill myself",
    "killing myself",
    "suicide",
    "suicidal",
    "end my life",
    "end it all",
    "take my life",
    "take my own life",
    # C-SSRS Q3–Q6 (method, intent, behaviour) — §16b
    "overdose",
    "hang myself",
    "goodbye letter",
    "suicide note",
    # Self-harm
    "hurt myself",
    "harm myself",
    "cut myself",
    "cutting myself",
    "self harm",
)


@dataclass(frozen=True)
class RiskWordsResult:
    found: tuple[str, ...]
    reason: str

    @property
    def concerning(self) -> bool:
        return bool(self.found)


def _normalise(text: str) -> str:
    text = text.lower().replace("’", "").replace("'", "")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return f" {text.strip()} "


def find_risk_phrases(text: str, extra: Iterable[str] = ()) -> RiskWordsResult:
    """The risk phrases in `text` (defaults plus a clinic's `extra`), with the reason."""
    body = _normalise(text)
    phrases = dict.fromkeys([*DEFAULT_RISK_PHRASES, *(p for p in extra if p.strip())])
    found = tuple(p for p in phrases if _normalise(p) in body)
    if not found:
        return RiskWordsResult((), "")
    return RiskWordsResult(
        found,
        "Risk words in a patient's message ("
        + ", ".join(f"“{p}”" for p in found)
        + "): review today (C-SSRS ideas, clinical.md §16b).",
    )
