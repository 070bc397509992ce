"""The "booster may be due" rule: a responder whose scores have worsened since their best.

Maintenance after a ketamine response is individualised: dose "a little before the previous
effect is expected to fade"; boosters on demand and taper schedules are practice variation with
no controlled evidence; responders relapse within weeks without maintenance (median 18 days)
(shared/reference/clinical.md §7d, §13). So the rule only raises the question early, before the
relapse definition (clinical.response) is met, and the size of the rise that raises it is a
clinic setting (`rise_pct`), never a constant here.

    decision = booster_due("phq9", baseline=20, scores=[(d1, 9), (d2, 6), (d3, 12)], rise_pct=25)
    decision.due, decision.reasons
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from ketacare.clinical.response import ResponseRules

# The suggested default for the clinic setting: a rise of a quarter of the baseline total
# since the best score. [PRACTICE] — clinical.md §7d gives no number ("booster on demand"),
# so clinics set their own; this platform offers 25 % (half of the 50 % response fall).
DEFAULT_RISE_PCT = 25


@dataclass(frozen=True)
class BoosterDecision:
    due: bool
    responded_on: date | None
    best: tuple[date, int] | None
    latest: tuple[date, int] | None
    rise_pct: float | None  # the rise from the best, as % of baseline
    reasons: tuple[str, ...]


def booster_due(
    scale_code: str,
    baseline: int,
    scores: Sequence[tuple[date, int]],
    rise_pct: float = DEFAULT_RISE_PCT,
    rules: ResponseRules | None = None,
) -> BoosterDecision:
    """Decide from the follow-up totals after `baseline` (higher = worse, as for PHQ-9/MADRS).

    Raises ValueError naming the parameter for impossible input.
    """
    rules = rules or ResponseRules()
    if baseline < 0:
        raise ValueError("baseline: must be 0 or more")
    if not 0 < rise_pct <= 100:
        raise ValueError("rise_pct: must be above 0 and at most 100")
    for i, (_, total) in enumerate(scores):
        if total < 0:
            raise ValueError(f"scores[{i}]: must be 0 or more")
    ordered = sorted(scores, key=lambda s: s[0])
    if baseline == 0:
        return BoosterDecision(
            False, None, None, None, None, ("Baseline 0: no improvement can be measured.",)
        )
    response_at = Fraction(baseline) * (1 - Fraction(rules.response_pct) / 100)
    first = next((i for i, (_, t) in enumerate(ordered) if t <= response_at), None)
    if first is None:
        return BoosterDecision(
            False,
            None,
            None,
            ordered[-1] if ordered else None,
            None,
            (
                f"Not a responder: no {scale_code} total at or below {float(response_at):g} "
                f"(a {rules.response_pct:g}% fall from baseline {baseline}, clinical.md §12).",
            ),
        )
    responded_on = ordered[first][0]
    after = ordered[first:]
    best = min(after, key=lambda s: (s[1], s[0]))
    latest = after[-1]
    rise = Fraction(latest[1] - best[1], baseline) * 100
    rise_f = round(float(rise), 1)
    basis = (
        f"Responder since {responded_on.isoformat()} (≥{rules.response_pct:g}% fall from "
        f"baseline {baseline}, clinical.md §12); best {best[1]} on {best[0].isoformat()}, "
        f"latest {latest[1]} on {latest[0].isoformat()}: a rise of {rise_f:g}% of baseline."
    )
    threshold = (
        f"Booster threshold: a rise of ≥{rise_pct:g}% of baseline since the best score "
        "(clinic setting; boosters are practice variation, clinical.md §7d, §13)."
    )
    if latest[0] <= best[0] or rise < Fraction(rise_pct):
        return BoosterDecision(False, responded_on, best, latest, rise_f, (basis, threshold))
    return BoosterDecision(
        True,
        responded_on,
        best,
        latest,
        rise_f,
        (
            basis,
            threshold,
            "Booster may be due: review maintenance before the benefit fades (median relapse "
            "18 days after the last infusion in responders, clinical.md §7d).",
        ),
    )
