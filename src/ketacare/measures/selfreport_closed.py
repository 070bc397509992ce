"""Answers posted to a questionnaire link that can no longer be used.

A page left open past the link's expiry (and its finishing hour), or a page of a questionnaire
the link has already sent, can still be submitted: a tab restored the next morning, a phone
that slept. The link is closed, so the answers are not stored and the page says so. But a risk
answer among them must not vanish (issue 7: no warning sign unseen): one above what the link
already recorded for that questionnaire raises its flag, as an answer on an open link would.

A low-risk positive C-SSRS screen (Q1 or Q2 Yes only) raises no flag here, as it raises none on
an open link (clinical.risk: C-SSRS flags are moderate and high, clinical.md §16b); the patient
still sees the crisis lines. So the page must not tell them their care team was told: the link
records in `_meta.closed_told` whether a flag from this link stands (raised now, or earlier from
its sent, kept or late answers), and the portal pages promise contact only when it does.

A revoked link raises nothing: it was withdrawn by staff, possibly because it reached the wrong
person (the rule of the "I need help now" button on such a link, too).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from ketacare.accounts.audit import record
from ketacare.clinical.risk import RiskRules, decide_flag
from ketacare.measures.actions import risk_rules_for
from ketacare.measures.models import Assessment, SelfReportLink
from ketacare.measures.selfreport_actions import (
    META,
    apply_skip_logic,
    draft_answers,
    meta,
    patient_actor,
    positive_screen,
    risk_decision,
    set_meta,
    submitted,
    usable_now,
)
from ketacare.safety.models import RiskFlag

LEVELS = ("low", "moderate", "high")
LATE_FLAGS = "late_flags"  # {scale: {"id", "level"}}: flags raised from pages posted late
# True/False, set by every risk answer posted after the link closed: does a flag from this link
# stand? The portal's "closed" and "done" notes say the care team was told only when True.
CLOSED_TOLD = "closed_told"


def note_late_flag(link: SelfReportLink, scale_code: str, flag: RiskFlag) -> None:
    """Remember a flag raised from a late page, so the same answer posted again (a reload, a
    second tab) is not flagged twice."""
    flags = {**meta(link).get(LATE_FLAGS, {}), scale_code: {"id": flag.pk, "level": flag.level}}
    set_meta(link, **{LATE_FLAGS: flags})


def flag_from_link(link: SelfReportLink) -> bool:
    """Whether any risk flag was raised from this link's answers: a sent questionnaire's, a kept
    draft's (on saving, or by the abandoned-form sweep), or a page posted late."""
    info = meta(link)
    if info.get("draft_flags") or info.get("flagged") or info.get(LATE_FLAGS):
        return True
    sent = list(submitted(link).values())
    return (
        bool(sent)
        and RiskFlag.objects.filter(patient_id=link.patient_id, assessment_id__in=sent).exists()
    )


def care_team_told(link: SelfReportLink) -> bool:
    """May the patient's page say the care team was told about this link's risk answers and
    will contact them? Only when a flag from them stands (a low positive C-SSRS screen raises
    none, clinical.md §16b: the crisis lines are shown without the promise)."""
    return bool(meta(link).get(CLOSED_TOLD)) or flag_from_link(link)


def recorded_level(link: SelfReportLink, scale_code: str, rules: RiskRules) -> str | None:
    """The highest risk level this link already recorded for `scale_code`: the sent
    questionnaire's, a flag its draft raised, or what its kept draft calls for."""
    levels: list[str] = []
    sent_id = submitted(link).get(scale_code)
    sent = Assessment.objects.filter(pk=sent_id).first() if sent_id is not None else None
    if sent is not None:
        before = decide_flag(scale_code, sent.answers, sent.risk_level or None, rules)
        if before is not None:
            levels.append(before.level)
    for kind in ("draft_flags", LATE_FLAGS):
        raised = meta(link).get(kind, {}).get(scale_code)
        if isinstance(raised, dict) and raised.get("level") in LEVELS:
            levels.append(raised["level"])
    kept = risk_decision(scale_code, draft_answers(link, scale_code), rules)
    if kept is not None:
        levels.append(kept.level)
    return max(levels, key=LEVELS.index) if levels else None


def do_answers_on_closed_link(
    link: SelfReportLink, scale_code: str, answers: Mapping[str, int | None], ip: str
) -> RiskFlag | None:
    """Answers posted to a closed link (not stored). Returns the flag a risk answer among them
    raised, if any; the crisis lines are due on the patient's pages from then on, and
    `_meta.closed_told` says whether a flag from this link stands (`flag_from_link`)."""
    from ketacare.safety.actions import do_raise_flag

    given = apply_skip_logic({k: v for k, v in answers.items() if v is not None})
    with transaction.atomic():
        fresh = (
            SelfReportLink.objects.select_for_update(of=("self",))
            .select_related("patient", "patient__clinic")
            .get(pk=link.pk)
        )
        if fresh.revoked_at is not None or scale_code not in fresh.scale_codes:
            return None
        if usable_now(fresh) and scale_code not in submitted(fresh):
            return None  # still open: the normal path stores these answers
        rules = risk_rules_for(fresh.patient)
        decision = risk_decision(scale_code, given, rules)
        if decision is None and not positive_screen(scale_code, given):
            return None
        first_crisis = not meta(fresh).get("crisis")
        set_meta(fresh, crisis=True)
        before = recorded_level(fresh, scale_code, rules)
        flag = None
        if decision is not None and (
            before is None or LEVELS.index(decision.level) > LEVELS.index(before)
        ):
            flag = do_raise_flag(
                patient_actor(fresh, ip),
                fresh.patient,
                level=decision.level,
                source=decision.source,
                reason=f"{decision.reason} Given on a questionnaire page after its link had "
                "closed: the answers were not stored.",
                requires_cssrs=decision.requires_cssrs,
            )
            note_late_flag(fresh, scale_code, flag)
        # A low positive screen raises nothing (as on an open link): no "care team told" then.
        told = flag is not None or flag_from_link(fresh)
        set_meta(fresh, **{CLOSED_TOLD: told})
        fresh.save(update_fields=["draft"])
        record(
            patient_actor(fresh, ip),
            "measures.selfreport.closed_link_answers",
            object_type="self_report_link",
            object_id=fresh.pk,
            patient_id=fresh.patient_id,
            clinic_id=fresh.patient.clinic_id,
            detail={
                "scale": scale_code,
                "flag": flag.pk if flag else None,
                "care_team_told": told,
                "crisis_resources_first_shown": first_crisis,
            },
        )
    link.draft = {**link.draft, META: meta(fresh)}
    return flag
