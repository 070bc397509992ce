"""PCL-5 (PTSD Checklist for DSM-5), self-report, past month, 20 items scored 0-4.

Source: shared/reference/instruments.md §4. Public domain (US Government work), so there is no
wording restriction; the texts below are short content labels for display — administer from
the official National Center for PTSD form. Item-level LOINC codes were not found (❓).
"""

from __future__ import annotations

from collections.abc import Mapping

from ketacare.clinical.scales.common import (
    int_param,
    items_from,
    missing_required,
    refuse_total,
    sum_of,
)
from ketacare.clinical.scales.model import AnswerOption, Scale, ScoreResult

OPTIONS = (
    AnswerOption(0, "Not at all"),
    AnswerOption(1, "A little bit"),
    AnswerOption(2, "Moderately"),
    AnswerOption(3, "Quite a bit"),
    AnswerOption(4, "Extremely"),
)

LABELS = (
    "Unwanted upsetting memories of the stressful experience",
    "Disturbing dreams of the experience",
    "Feeling or acting as if it were happening again (reliving)",
    "Feeling very upset when reminded of it",
    "Strong physical reactions when reminded of it",
    "Avoiding memories, thoughts or feelings about it",
    "Avoiding external reminders of it",
    "Trouble remembering important parts of it",
    "Strong negative beliefs about self, others or the world",
    "Blaming self or someone else for it or what followed",
    "Strong negative feelings (fear, horror, anger, guilt, shame)",
    "Loss of interest in activities once enjoyed",
    "Feeling distant or cut off from other people",
    "Trouble experiencing positive feelings",
    "Irritable behaviour, angry outbursts or aggression",
    "Taking too many risks or doing harmful things",
    "Being 'superalert', watchful or on guard",
    "Feeling jumpy or easily startled",
    "Difficulty concentrating",
    "Trouble falling or staying asleep",
)

# DSM-5 symptom clusters and the provisional-diagnosis rule (National Center for PTSD, as
# restated in instruments.md §4): an item is endorsed at 2 ("Moderately") or more; the rule
# needs this many endorsed items in each cluster.
ENDORSED_AT = 2
CLUSTERS = {
    "B": (range(1, 6), 1),  # intrusion, items 1-5, >=1 endorsed
    "C": (range(6, 8), 1),  # avoidance, items 6-7, >=1
    "D": (range(8, 15), 2),  # negative cognitions and mood, items 8-14, >=2
    "E": (range(15, 21), 2),  # arousal and reactivity, items 15-20, >=2
}

# Probable-PTSD cut-off: 31-33 suggested, population-dependent, to be configurable
# (instruments.md §4); 33 is the value used in derived_rule_vectors.json. A total at or
# above the cut-off counts. The clinic's value comes from clinical.thresholds.
DEFAULT_CUTOFF = 33


def score_pcl5(
    scale: Scale, answers: Mapping[str, int], *, cutoff: int = DEFAULT_CUTOFF
) -> ScoreResult:
    cutoff = int_param("cutoff", cutoff, 0, 80)
    missing = missing_required(scale, answers)
    if missing:
        return refuse_total(scale, missing)
    total, working = sum_of(answers, [f"pcl5-{n}" for n in range(1, 21)])
    subscores: dict[str, int] = {}
    cluster_lines: list[str] = []
    rule_met = True
    for name, (numbers, needed) in CLUSTERS.items():
        subscores[f"cluster_{name}"] = sum(answers[f"pcl5-{n}"] for n in numbers)
        endorsed = [n for n in numbers if answers[f"pcl5-{n}"] >= ENDORSED_AT]
        met = len(endorsed) >= needed
        rule_met = rule_met and met
        cluster_lines.append(
            f"cluster {name} (items {numbers[0]}-{numbers[-1]}): {len(endorsed)} endorsed, "
            f"needs {needed} — {'met' if met else 'not met'}"
        )
    flags = []
    if rule_met:
        flags.append("provisional_ptsd_cluster_rule")
    if total >= cutoff:
        flags.append("provisional_ptsd_cutoff")
    return ScoreResult(
        scale_code=scale.code,
        total=total,
        complete=True,
        subscores=subscores,
        flags=tuple(flags),
        explanation=(
            f"Total {total} = sum of items 1-20 ({working}).",
            "Cluster severities: "
            + ", ".join(f"{k.removeprefix('cluster_')} {v}" for k, v in subscores.items())
            + ".",
            f"DSM-5 cluster rule (item endorsed at ≥{ENDORSED_AT}) "
            f"{'met' if rule_met else 'not met'}: " + "; ".join(cluster_lines) + ".",
            f"Cut-off rule: total {total} {'≥' if total >= cutoff else '<'} {cutoff} "
            "(suggested 31-33, default 33; instruments.md §4). The two rules can disagree; "
            "both are screening results for a clinician to confirm.",
        ),
    )


PCL5 = Scale(
    code="pcl5",
    name="PCL-5 (PTSD Checklist for DSM-5)",
    version="1",
    items=items_from("pcl5", [(n, LABELS[n - 1], None) for n in range(1, 21)], OPTIONS),
    # ⚠️ third-party LOINC mirrors only (instruments.md §4 [S14]); verify on loinc.org.
    total_loinc="101698-9",
    panel_loinc="101697-1",
    min_total=0,
    max_total=80,
    bands=(),
    licence_note="Public domain: work of the US Government (National Center for PTSD).",
    item_text_licensed=False,
    clinician_rated=False,
    missing_policy="No official rule (instruments.md §4): all 20 items required, else no total.",
    score_fn=score_pcl5,
)
