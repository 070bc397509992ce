"""Look up ICD-10-CM codes in the April 2026 tabular list shipped by simple-icd-10-cm."""

from __future__ import annotations

from functools import cache
from types import ModuleType

from ketacare.clinical.icd10 import is_well_formed, normalise_code


@cache
def _tabular() -> ModuleType:
    # Imported on first use: loading the tabular list takes about two seconds.
    import simple_icd_10_cm

    return simple_icd_10_cm


class CodeProblem(ValueError):
    pass


def lookup(raw: str) -> tuple[str, str]:
    """Return (code, description) for a billable ICD-10-CM code, or raise CodeProblem."""
    code = normalise_code(raw)
    if not is_well_formed(code):
        raise CodeProblem(f"“{raw}” is not an ICD-10-CM code (expected a form like F33.2).")
    icd = _tabular()
    if not icd.is_valid_item(code):
        raise CodeProblem(f"{code} is not in the ICD-10-CM code set.")
    if not icd.is_leaf(code):
        children = ", ".join(icd.get_children(code)[:6])
        raise CodeProblem(f"{code} is a category, not a billable code; choose one of: {children}.")
    return code, icd.get_description(code)
