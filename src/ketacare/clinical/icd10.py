"""ICD-10-CM codes: format check and the conditions a ketamine clinic codes most often.

Validation against the full tabular list (April 2026 release) is done by the caller with
the `simple-icd-10-cm` package; this module holds only the pure parts.
Source: shared/reference/instruments.md §14.
"""

from __future__ import annotations

import re

CODE_PATTERN = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$")

# The conditions this clinic type treats, for quick picking on the chart (§14).
COMMON_CODES: tuple[tuple[str, str], ...] = (
    ("F33.2", "Major depressive disorder, recurrent severe without psychotic features"),
    ("F33.1", "Major depressive disorder, recurrent, moderate"),
    ("F32.2", "Major depressive disorder, single episode, severe without psychotic features"),
    ("F32.A", "Depression, unspecified"),
    ("F43.10", "Post-traumatic stress disorder, unspecified"),
    ("F43.12", "Post-traumatic stress disorder, chronic"),
    ("F41.1", "Generalized anxiety disorder"),
    ("F40.10", "Social phobia, unspecified"),
    ("F41.0", "Panic disorder [episodic paroxysmal anxiety]"),
    ("M79.7", "Fibromyalgia"),
    ("G90.50", "Complex regional pain syndrome I, unspecified"),
    ("G90.511", "Complex regional pain syndrome I of right upper limb"),
    ("G89.4", "Chronic pain syndrome"),
)


def normalise_code(raw: str) -> str:
    """'f332' → 'F33.2'; inserts the dot after the third character when it is missing."""
    code = raw.strip().upper().replace(" ", "")
    if len(code) > 3 and "." not in code:
        code = f"{code[:3]}.{code[3:]}"
    return code


def is_well_formed(code: str) -> bool:
    return bool(CODE_PATTERN.match(code))
