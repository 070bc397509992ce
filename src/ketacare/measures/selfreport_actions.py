"""Self-report links: issuing them, the patient filling them in, revoking, asking for help.

Each `do_*` function is one action: it owns its transaction and its audit entry. A link's token
is shown once (in the message, or on screen for a tablet) and stored only as its SHA-256.
The patient is not signed in: their actions are audited with the actor label
"patient-self-report" and the client address.

Progress lives in `SelfReportLink.draft`: `{scale: {link_id: value}}` for answers not yet
submitted, plus one reserved key `"_meta"` holding `submitted` ({scale: assessment id}),
`crisis` (crisis resources have been shown), `saved_at` ({scale: ISO time}), `flagged`
(scales whose unfinished risk answer raised a flag), `draft_flags` ({scale: {id, level}} of
those flags, which the submission links its assessment to) and `help_at`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, Outcome, record
from ketacare.clinical import scales
from ketacare.clinical.risk import FlagDecision, RiskRules, decide_flag
from ketacare.clinical.thresholds import ScoringThresholds
from ketacare.measures.actions import (
    do_record_assessment,
    score_answers,
    scoring_params,
)
from ketacare.measures.models import (
    Assessment,
    Context,
    DueAssessment,
    DueStatus,
    EpisodeOfCare,
    EpisodeStatus,
    RuleKind,
    ScheduleRule,
    SelfReportLink,
    Source,
)
from ketacare.measures.scheduling import clinic_today, clinic_zone
from ketacare.measures.thresholds_settings import scoring_thresholds_for
from ketacare.notify.delivery import queue_notification
from ketacare.notify.models import Channel, NotificationLog
from ketacare.patients.models import Patient
from ketacare.safety.patient_help import press_help
from ketacare.safety.resources import crisis_text

PATIENT_ACTOR_LABEL = "patient-self-report"
META = "_meta"
TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 43 characters, 256 bits
# A risk answer left in an unfinished form raises a flag once the patient has been away this
# long (if they submit, the assessment raises it; this covers walking away).
ABANDONED_AFTER = timedelta(minutes=30)


# Skip logic of the C-SSRS screener (clinical/scales/cssrs.py; instruments.md §5 "Asked
# when"): an item is asked only when its gate item has this answer. Answers to items the gate
# skipped are dropped rather than refused: on a phone page without JavaScript every question
# is visible, and the patient may have answered one before changing the gate answer.
ASKED_ONLY_WHEN: dict[str, tuple[str, int]] = {
    "cssrs_recent-3": ("cssrs_recent-2", 1),
    "cssrs_recent-4": ("cssrs_recent-2", 1),
    "cssrs_recent-5": ("cssrs_recent-2", 1),
    "cssrs_recent-6b": ("cssrs_recent-6", 1),
}


def apply_skip_logic(answers: dict[str, int]) -> dict[str, int]:
    return {
        link_id: value
        for link_id, value in answers.items()
        if link_id not in ASKED_ONLY_WHEN
        or ASKED_ONLY_WHEN[link_id][0] not in answers
        or answers[ASKED_ONLY_WHEN[link_id][0]] == ASKED_ONLY_WHEN[link_id][1]
    }


class MissingAnswers(ActionError):
    """Next was pressed with required questions unanswered; `items` names every one."""

    def __init__(self, items: tuple[str, ...]):
        super().__init__(items[0], "Please answer this question.")
        self.items = items


class LinkChannel:
    EMAIL = "email"
    SMS = "sms"
    IN_CLINIC = "in_clinic"
    CHOICES = (
        (EMAIL, "Email"),
        (SMS, "Text message"),
        (IN_CLINIC, "Show the link here (tablet in clinic)"),
    )


def self_report_scales() -> list[scales.Scale]:
    """Scales a patient can answer alone: the self-rated ones, plus the C-SSRS screener.

    The C-SSRS screener is marked clinician-rated in the library, but a PHQ-9 item 9 above 0
    needs a same-day screen (clinical.md §16a), and Columbia publishes a self-report screener
    version [not yet in shared/reference]: a clinician reviews every positive screen anyway.
    """
    return [s for s in scales.SCALES.values() if not s.clinician_rated or s.code == "cssrs_recent"]


SELF_REPORT_CODES = frozenset(s.code for s in self_report_scales())


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def link_url(raw_token: str) -> str:
    return settings.KETACARE_BASE_URL + reverse("selfreport:fill", args=[raw_token])


def find_link(raw_token: str) -> SelfReportLink | None:
    """The link for a raw token, or None. Callers treat unusable links exactly like None."""
    if not raw_token or len(raw_token) > 100:
        return None
    return (
        SelfReportLink.objects.select_related("patient", "patient__clinic", "episode")
        .filter(token_hash=hash_token(raw_token))
        .first()
    )


def patient_actor(link: SelfReportLink, ip: str = "") -> Actor:
    return Actor(label=PATIENT_ACTOR_LABEL, clinic_id=link.patient.clinic_id, ip=ip[:64])


# --- progress kept in the draft ---------------------------------------------------------------


def meta(link: SelfReportLink) -> dict[str, Any]:
    value = link.draft.get(META)
    return value if isinstance(value, dict) else {}


def submitted(link: SelfReportLink) -> dict[str, int]:
    return dict(meta(link).get("submitted", {}))


def draft_answers(link: SelfReportLink, scale_code: str) -> dict[str, int]:
    value = link.draft.get(scale_code)
    return dict(value) if isinstance(value, dict) else {}


def current_scale(link: SelfReportLink) -> str | None:
    done = submitted(link)
    return next((code for code in link.scale_codes if code not in done), None)


def crisis_shown(link: SelfReportLink) -> bool:
    return bool(meta(link).get("crisis"))


def set_meta(link: SelfReportLink, **changes: Any) -> None:
    link.draft = {**link.draft, META: {**meta(link), **changes}}


def risk_decision(
    scale_code: str, answers: dict[str, int], rules: RiskRules
) -> FlagDecision | None:
    """The risk flag these (possibly partial) answers call for, by the clinical rules with the
    patient's clinic's flag levels (`rules`, measures.actions.risk_rules_for).

    PHQ-9 item 9 > 0, QIDS-SR16 item 12 > 0, a C-SSRS screen reaching moderate or high
    (clinical.risk.decide_flag; clinical.md §16a/b). Only the C-SSRS risk level is read from
    the score, which takes no clinic parameter.
    """
    try:
        result = scales.score(scale_code, answers)
    except (scales.ScaleInputError, TypeError):
        return None
    return decide_flag(scale_code, answers, result.risk_level, rules)


# --- staff (or the schedule) issue a link ---------------------------------------------------


@dataclass(frozen=True)
class IssuedLink:
    link: SelfReportLink
    token: str
    url: str
    notification: NotificationLog | None


def contact_for(patient: Patient, channel: str) -> str:
    if channel == LinkChannel.EMAIL:
        if not patient.email:
            raise ActionError("channel", "There is no email address on this chart.")
        return patient.email
    if channel == LinkChannel.SMS:
        if not patient.phone:
            raise ActionError("channel", "There is no phone number on this chart.")
        return patient.phone
    return ""


def scheduled_channel(patient: Patient) -> str | None:
    """How the schedule reaches a patient: their preferred written channel, else what exists.

    A preference for phone calls falls back to email, then text (the schedule cannot call).
    """
    if patient.preferred_contact == "sms" and patient.phone:
        return LinkChannel.SMS
    if patient.email:
        return LinkChannel.EMAIL
    if patient.phone:
        return LinkChannel.SMS
    return None


def sms_text(clinic_name: str, url: str, reminder: bool = False) -> str:
    """No patient name: text messages show on lock screens."""
    text = f"Your care team at {clinic_name} asks you to fill in a short questionnaire: {url}"
    return f"Reminder: {text[0].lower()}{text[1:]}" if reminder else text


def email_text(link: SelfReportLink, url: str, reminder: bool = False) -> tuple[str, str]:
    clinic = link.patient.clinic
    count = len(link.scale_codes)
    when = timezone.localtime(link.expires_at, clinic_zone(clinic))
    expires = f"{when:%B} {when.day} at {when.hour % 12 or 12}:{when:%M %p}"
    lines = [
        f"Your care team at {clinic.name} asks you to fill in a short questionnaire "
        f"({count} form{'s' if count != 1 else ''}, a few minutes each):",
        "",
        url,
        "",
        f"The link is for you only and works once, until {expires}. You can stop half-way and "
        "come back: your answers are kept.",
    ]
    if clinic.phone:
        lines += ["", f"Questions? Call {clinic.name} at {clinic.phone}."]
    # The clinic's own crisis lines, number and hours, as its /r/ pages show them.
    lines += ["", "If you are thinking about harming yourself:", *crisis_text(clinic)]
    subject = f"{'Reminder: ' if reminder else ''}A short questionnaire from {clinic.name}"
    return subject, "\n".join(lines)


def do_issue_link(
    actor: Actor,
    patient: Patient,
    scale_codes: list[str],
    *,
    context: str,
    channel: str,
    episode: EpisodeOfCare | None = None,
    hours: int | None = None,
    reminder: bool = False,
    now: datetime | None = None,
) -> IssuedLink:
    """Create a one-time link for `patient` and these scales; queue the email or text."""
    now = now or timezone.now()
    codes = list(dict.fromkeys(scale_codes))
    if not codes:
        raise ActionError("scales", "Choose at least one questionnaire.")
    for code in codes:
        if code not in SELF_REPORT_CODES:
            raise ActionError("scales", f"“{code}” is not a questionnaire patients fill in alone.")
    if "auditc" in codes and not scoring_params("auditc", patient):
        raise ActionError(
            "scales", "AUDIT-C needs sex at birth recorded as female or male on the chart."
        )
    if context not in Context.values:
        raise ActionError("context", f"Context must be one of: {', '.join(Context.values)}.")
    if channel not in {c for c, _ in LinkChannel.CHOICES}:
        raise ActionError("channel", "Choose email, text message or showing the link here.")
    to = contact_for(patient, channel)
    if episode is None:
        episode = (
            EpisodeOfCare.objects.filter(patient=patient, status=EpisodeStatus.ACTIVE)
            .order_by("-started_on")
            .first()
        )
    valid_hours = hours or settings.KETACARE_SELF_REPORT_HOURS
    token = secrets.token_urlsafe(TOKEN_BYTES)
    url = link_url(token)
    notification = None
    with transaction.atomic():
        link = SelfReportLink.objects.create(
            patient=patient,
            token_hash=hash_token(token),
            scale_codes=codes,
            context=context,
            episode=episode,
            channel=channel,
            created_by_id=actor.user_id,
            created_at=now,
            expires_at=now + timedelta(hours=valid_hours),
        )
        # The patient's open due items for these scales count as sent today: the schedule
        # will not send a second link for them today.
        DueAssessment.objects.filter(
            patient=patient,
            scale_code__in=codes,
            status=DueStatus.OPEN,
            due_on__lte=clinic_today(patient.clinic, now),
        ).update(last_reminded_at=now)
        record(
            actor,
            "measures.selfreport.link_created",
            object_type="self_report_link",
            object_id=link.pk,
            patient_id=patient.pk,
            clinic_id=patient.clinic_id,
            detail={
                "scales": codes,
                "channel": channel,
                "context": context,
                "hours": valid_hours,
                "reminder": reminder,
            },
        )
        if channel != LinkChannel.IN_CLINIC:
            if channel == LinkChannel.SMS:
                subject, body = "", sms_text(patient.clinic.name, url, reminder)
            else:
                subject, body = email_text(link, url, reminder)
            notification = queue_notification(
                channel=Channel.SMS if channel == LinkChannel.SMS else Channel.EMAIL,
                to=to,
                subject=subject,
                body=body,
                purpose="selfreport.reminder" if reminder else "selfreport.link",
                reference=f"selfreportlink:{link.pk}",
                patient=patient,
                clinic=patient.clinic,
            )
            log_id = notification.pk
            transaction.on_commit(lambda: _enqueue_delivery(log_id))
    return IssuedLink(link, token, url, notification)


def _enqueue_delivery(log_id: int) -> None:
    from ketacare.measures.tasks import send_notification

    send_notification.enqueue(log_id)


def do_revoke_link(actor: Actor, link: SelfReportLink) -> bool:
    with transaction.atomic():
        changed = SelfReportLink.objects.filter(
            pk=link.pk, revoked_at__isnull=True, completed_at__isnull=True
        ).update(revoked_at=timezone.now())
        if changed:
            record(
                actor,
                "measures.selfreport.link_revoked",
                object_type="self_report_link",
                object_id=link.pk,
                patient_id=link.patient_id,
                clinic_id=link.patient.clinic_id,
            )
    return bool(changed)


# --- the patient ------------------------------------------------------------------------------


def do_open_link(link: SelfReportLink, ip: str) -> None:
    """Audit every view of the form; the first sets opened_at (link status "opened")."""
    now = timezone.now()
    with transaction.atomic():
        first = bool(
            SelfReportLink.objects.filter(pk=link.pk, opened_at__isnull=True).update(opened_at=now)
        )
        if first:
            link.opened_at = now
        record(
            patient_actor(link, ip),
            "measures.selfreport.opened",
            object_type="self_report_link",
            object_id=link.pk,
            patient_id=link.patient_id,
            clinic_id=link.patient.clinic_id,
            detail={"first": first, "scale": current_scale(link) or ""},
        )


# A link opened before it expired keeps working this long after: a patient half-way through a
# form is not cut off, and the answers on the page (a risk answer among them) are not lost.
FINISHING_GRACE = timedelta(hours=1)


def usable_now(link: SelfReportLink) -> bool:
    """`is_usable`, or expired less than FINISHING_GRACE ago after being opened in time."""
    if link.is_usable:
        return True
    return (
        link.completed_at is None
        and link.revoked_at is None
        and link.opened_at is not None
        and link.opened_at < link.expires_at
        and timezone.now() < link.expires_at + FINISHING_GRACE
    )


def _locked(link: SelfReportLink) -> SelfReportLink:
    """Re-read the link under a row lock (call inside a transaction)."""
    fresh = (
        SelfReportLink.objects.select_for_update(of=("self",))
        .select_related("patient", "patient__clinic", "episode")
        .get(pk=link.pk)
    )
    if not usable_now(fresh):
        raise ActionError("link", "This link can no longer be used.")
    return fresh


def _mark_crisis(link: SelfReportLink, ip: str, trigger: str, scale_code: str) -> None:
    """Remember that crisis resources are due on every page from now on; audit the first time."""
    if crisis_shown(link):
        return
    set_meta(link, crisis=True)
    record(
        patient_actor(link, ip),
        "measures.selfreport.crisis_resources_shown",
        object_type="self_report_link",
        object_id=link.pk,
        patient_id=link.patient_id,
        clinic_id=link.patient.clinic_id,
        detail={"trigger": trigger, "scale": scale_code},
    )


def _merge_draft(
    fresh: SelfReportLink,
    scale_code: str,
    answers: Mapping[str, int | None],
    ip: str,
    *,
    raise_flag: bool = False,
) -> None:
    """Merge `answers` into the locked link's draft and save it (inside a transaction).
    `raise_flag`: a risk answer kept in the draft also raises its flag now (`_draft_flag`)."""
    if scale_code not in fresh.scale_codes or scale_code in submitted(fresh):
        raise ActionError("submitted", "This questionnaire is not open on this link.")
    given = {**draft_answers(fresh, scale_code), **answers}
    merged = apply_skip_logic({k: v for k, v in given.items() if v is not None})
    fresh.draft = {**fresh.draft, scale_code: merged}
    set_meta(
        fresh,
        saved_at={**meta(fresh).get("saved_at", {}), scale_code: timezone.now().isoformat()},
    )
    decision = risk_decision(scale_code, merged, _thresholds(fresh).risk)
    if decision is not None or positive_screen(scale_code, merged):
        _mark_crisis(fresh, ip, "answer", scale_code)
    if decision is not None and raise_flag:
        _draft_flag(fresh, scale_code, decision, ip)
    fresh.save(update_fields=["draft"])


_LEVELS = ("low", "moderate", "high")


def _thresholds(fresh: SelfReportLink) -> ScoringThresholds:
    """The patient's clinic's scoring thresholds, read once per locked link: `fresh` lives for
    one transaction, so the draft, the score and the flag all use the same reading."""
    found: ScoringThresholds | None = getattr(fresh, "_kc_thresholds", None)
    if found is None:
        found = scoring_thresholds_for(fresh.patient.clinic_id)
        fresh._kc_thresholds = found  # type: ignore[attr-defined]
    return found


def positive_screen(scale_code: str, answers: Mapping[str, int]) -> bool:
    """Any "Yes" on the C-SSRS screen: crisis lines for the patient at once, whatever the
    level (Columbia: positive below high → outpatient care and crisis lines, clinical.md
    §16b). The flag still follows the triage level (`risk_decision`)."""
    return scale_code == "cssrs_recent" and 1 in answers.values()


def draft_flag_id(link: SelfReportLink, scale_code: str) -> int | None:
    """The flag a risk answer kept in this link's draft of `scale_code` raised, if any."""
    found = meta(link).get("draft_flags", {}).get(scale_code)
    return int(found["id"]) if isinstance(found, dict) and "id" in found else None


def _draft_flag(fresh: SelfReportLink, scale_code: str, decision: FlagDecision, ip: str) -> None:
    """A risk answer kept in a draft ("Save and finish later", or a submission refused for a
    missing answer) raises its flag now: a patient who never sends the form is still seen
    (issue 7: no warning sign unseen). Once per questionnaire, again only for a higher level;
    the submission then links its assessment to this flag instead of raising a second one
    (`measures.actions.do_record_assessment`, `draft_flag`)."""
    from ketacare.safety.actions import do_raise_flag

    flags = dict(meta(fresh).get("draft_flags", {}))
    earlier = flags.get(scale_code)
    if isinstance(earlier, dict) and _LEVELS.index(earlier["level"]) >= _LEVELS.index(
        decision.level
    ):
        return
    flag = do_raise_flag(
        patient_actor(fresh, ip),
        fresh.patient,
        level=decision.level,
        source=decision.source,
        reason=f"{decision.reason} Answered in a questionnaire saved but not yet sent.",
        requires_cssrs=decision.requires_cssrs,
    )
    flags[scale_code] = {"id": flag.pk, "level": decision.level}
    # `flagged`: the abandoned-form sweep (measures.tasks) has nothing left to raise for it.
    flagged = [c for c in meta(fresh).get("flagged", []) if c != scale_code]
    set_meta(fresh, draft_flags=flags, flagged=[*flagged, scale_code])


def do_save_draft(
    link: SelfReportLink, scale_code: str, answers: Mapping[str, int | None], ip: str
) -> bool:
    """Keep answers given so far (merged with earlier ones). True when crisis resources are due.

    `answers` are already checked against the item's options by the form; `None` clears one.
    """
    with transaction.atomic():
        fresh = _locked(link)
        _merge_draft(fresh, scale_code, answers, ip, raise_flag=True)
    link.draft = fresh.draft
    return crisis_shown(fresh)


@dataclass(frozen=True)
class Submitted:
    assessment: Assessment
    crisis: bool
    completed: bool
    added_scales: tuple[str, ...]


def do_submit_scale(
    link: SelfReportLink, scale_code: str, answers: Mapping[str, int | None], ip: str
) -> Submitted:
    """Score and store one questionnaire (server-side, via do_record_assessment).

    One transaction: the answers are merged into the draft first, and the submission runs in
    a savepoint, so a refused submission (an ActionError naming the item) rolls back only
    itself and the draft with every answer is still committed before the error is raised.
    """
    actor = patient_actor(link, ip)
    refused: ActionError | None = None
    with transaction.atomic():
        fresh = _locked(link)
        if scale_code in submitted(fresh):
            raise ActionError("submitted", "This questionnaire was already sent.")
        _merge_draft(fresh, scale_code, answers, ip)
        link.draft = fresh.draft
        try:
            with transaction.atomic():
                done = _submit_locked(actor, fresh, scale_code, ip)
        except ActionError as problem:
            refused = problem
            # The answers stay in the draft: a risk answer among them raises its flag now.
            decision = risk_decision(
                scale_code, draft_answers(fresh, scale_code), _thresholds(fresh).risk
            )
            if decision is not None:
                _draft_flag(fresh, scale_code, decision, ip)
                fresh.save(update_fields=["draft"])
                link.draft = fresh.draft
    if refused is not None:
        raise refused
    link.draft, link.scale_codes, link.completed_at = (
        fresh.draft,
        fresh.scale_codes,
        fresh.completed_at,
    )
    return done


def _submit_locked(actor: Actor, fresh: SelfReportLink, scale_code: str, ip: str) -> Submitted:
    """Score and store the locked link's draft of `scale_code` (inside a savepoint)."""
    full = draft_answers(fresh, scale_code)
    missing = missing_items(fresh.patient, scale_code, full)
    if missing:
        raise MissingAnswers(missing)
    assessment = do_record_assessment(
        actor,
        fresh.patient,
        scale_code,
        full,
        context=fresh.context,
        source=Source.SELF_REPORT,
        episode=fresh.episode,
        draft_flag_id=draft_flag_id(fresh, scale_code),
        thresholds=_thresholds(fresh),
    )
    draft = {k: v for k, v in fresh.draft.items() if k != scale_code}
    fresh.draft = draft
    set_meta(fresh, submitted={**submitted(fresh), scale_code: assessment.pk})
    rules = _thresholds(fresh).risk
    if decide_flag(
        scale_code, assessment.answers, assessment.risk_level or None, rules
    ) or positive_screen(scale_code, assessment.answers):
        _mark_crisis(fresh, ip, "submitted", scale_code)
    added = _add_follow_up_scales(fresh, assessment)
    completed = current_scale(fresh) is None
    if completed:
        fresh.completed_at = timezone.now()
    fresh.save(update_fields=["draft", "scale_codes", "completed_at"])
    record(
        actor,
        "measures.selfreport.submitted",
        object_type="self_report_link",
        object_id=fresh.pk,
        patient_id=fresh.patient_id,
        clinic_id=fresh.patient.clinic_id,
        detail={
            "scale": scale_code,
            "assessment": assessment.pk,
            "completed": completed,
            "added": list(added),
        },
    )
    return Submitted(assessment, crisis_shown(fresh), completed, added)


def do_late_answers(
    link: SelfReportLink, scale_code: str, answers: Mapping[str, int | None], ip: str
) -> None:
    """Answers posted from a page of a questionnaire this link already sent (a second tab, a
    page the back button restored). They are not stored: the sent questionnaire stands. But a
    risk answer among them must not vanish: one above what was sent raises its flag and the
    crisis lines show from now on (a double tap of Next, the same answers again, raises
    nothing). Runs only on that stale path, never on a normal submission."""
    from ketacare.measures.selfreport_closed import note_late_flag, recorded_level
    from ketacare.safety.actions import do_raise_flag

    given = apply_skip_logic({k: v for k, v in answers.items() if v is not None})
    with transaction.atomic():
        fresh = _locked(link)
        sent_id = submitted(fresh).get(scale_code)
        rules = _thresholds(fresh).risk
        decision = risk_decision(scale_code, given, rules)
        if sent_id is None or (decision is None and not positive_screen(scale_code, given)):
            return
        _mark_crisis(fresh, ip, "late_answer", scale_code)
        # What the sent questionnaire, its draft or an earlier late page already raised.
        before = recorded_level(fresh, scale_code, rules)
        flag = None
        if decision is not None and (
            before is None or _LEVELS.index(decision.level) > _LEVELS.index(before)
        ):
            flag = do_raise_flag(
                patient_actor(fresh, ip),
                fresh.patient,
                level=decision.level,
                source=decision.source,
                reason=f"{decision.reason} Given after the questionnaire was sent, on a page "
                "opened before (the sent answers stand).",
                requires_cssrs=decision.requires_cssrs,
            )
            note_late_flag(fresh, scale_code, flag)
        fresh.save(update_fields=["draft"])
        record(
            patient_actor(fresh, ip),
            "measures.selfreport.late_answers",
            object_type="self_report_link",
            object_id=fresh.pk,
            patient_id=fresh.patient_id,
            clinic_id=fresh.patient.clinic_id,
            detail={"scale": scale_code, "flag": flag.pk if flag else None},
        )
    link.draft = fresh.draft


def missing_items(patient: Patient, scale_code: str, answers: dict[str, int]) -> tuple[str, ...]:
    """Every required item still unanswered, by the scale library's own rules."""
    try:
        result = score_answers(patient, scale_code, answers)
    except ActionError:
        return ()  # do_record_assessment reports the problem, naming the field
    return tuple(result.missing_items)


def _add_follow_up_scales(link: SelfReportLink, assessment: Assessment) -> tuple[str, ...]:
    """PHQ-9 item 9 above 0 puts the clinic's 'after item 9' scales (C-SSRS) on this link,
    straight after the PHQ-9, so the patient answers the same-day screen now (clinical.md
    §16a), not after every other form on the link."""
    if assessment.scale_code != "phq9" or not assessment.answers.get("phq9-9"):
        return ()
    codes = ScheduleRule.objects.filter(
        clinic_id=link.patient.clinic_id, kind=RuleKind.AFTER_ITEM9, is_active=True
    ).values_list("scale_code", flat=True)
    added = tuple(c for c in dict.fromkeys(codes) if c in SELF_REPORT_CODES)
    added = tuple(c for c in added if c not in link.scale_codes)
    at = link.scale_codes.index(assessment.scale_code) + 1
    link.scale_codes = [*link.scale_codes[:at], *added, *link.scale_codes[at:]]
    return added


def do_request_help(link: SelfReportLink, ip: str) -> bool:
    """The patient pressed "I need help now": a high-level flag for the care team, at once.

    The flag follows `safety.patient_help.press_help` (the rule of every help button): True
    when a new flag was raised, False when the press joined the patient's help flag that is
    still open and minutes old. Works on any link that is not revoked — completed or expired
    too: the patient is known, and a person in crisis is not refused because a link aged.
    Every press is audited on the link, a refused one (revoked link) too.
    """
    actor = patient_actor(link, ip)
    with transaction.atomic():
        fresh = (
            SelfReportLink.objects.select_for_update(of=("self",))
            .select_related("patient", "patient__clinic")
            .get(pk=link.pk)
        )

        def audit(**outcome: Any) -> None:
            record(
                actor,
                "measures.selfreport.help_requested",
                object_type="self_report_link",
                object_id=fresh.pk,
                patient_id=fresh.patient_id,
                clinic_id=fresh.patient.clinic_id,
                **outcome,
            )

        if fresh.revoked_at is not None:
            audit(outcome=Outcome.DENIED, detail={"reason": "revoked"})
            pressed = None
        else:
            pressed = press_help(actor, fresh.patient, "on a self-report questionnaire page")
            set_meta(fresh, help_at=timezone.now().isoformat())
            _mark_crisis(fresh, ip, "help", "")
            fresh.save(update_fields=["draft"])
            audit(detail={"flag": pressed.flag.pk, "raised": pressed.raised})
    if pressed is None:  # raised after the commit, so the refusal stays audited
        raise ActionError("link", "This link can no longer be used.")
    link.draft = fresh.draft
    return pressed.raised


def link_sent_since(patient: Patient, since: datetime) -> bool:
    return SelfReportLink.objects.filter(
        Q(revoked_at__isnull=True), patient=patient, created_at__gte=since
    ).exists()
