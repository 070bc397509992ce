"""Administering a scale: choose it, fill it in (with a live score), save it, read it back,
and mark it entered in error. Trajectories and episodes live in views_trajectories.py and
views_episodes.py.

Every view fetches the patient through `access_patient` first, so another clinic's patient
is a 404 before anything else is looked at. Scoring is always the clinical library's: the
live preview and the save call the same `measures.actions.score_answers`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketacare.accounts.access import require, staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import actor_from_request, audit
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.accounts.request import ClinicRequest
from ketacare.clinical.risk import DEFAULT_RISK_RULES, FlagDecision, RiskRules, decide_flag
from ketacare.clinical.scales import SCALES, Item, Scale, ScoreResult
from ketacare.measures import actions
from ketacare.measures.forms import (
    ASKED_IF,
    AdministerForm,
    EnteredInErrorForm,
    default_context,
    item_label,
    parse_answers,
    short_name,
)
from ketacare.measures.models import (
    Assessment,
    AssessmentStatus,
    Context,
    EpisodeOfCare,
    EpisodeStatus,
    Source,
)
from ketacare.measures.screens import screen_after
from ketacare.patients.access import access_patient
from ketacare.patients.models import Patient


def scale_or_404(request: ClinicRequest, code: str) -> Scale:
    """The scale, if it exists and this role may give it (clinician-rated needs a clinician)."""
    scale = SCALES.get(code)
    if scale is None:
        raise Http404("No such scale.")
    if scale.clinician_rated:
        require(request, Perm.ASSESSMENT_RATE_CLINICIAN)
    return scale


def flag_label(flag: str) -> str:
    """ "item9_positive" -> "Item 9 positive", "item12_positive" -> "Item 12 positive"."""
    text = re.sub(r"^item(\d+)", r"item \1", flag).replace("_", " ")
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Option:
    value: str
    display: str
    checked: bool
    dom_id: str
    raises_flag: bool = False

    @property
    def badge(self) -> str:
        """The key that picks this answer, unless the answer's text already starts with it."""
        return "" if self.display.startswith(self.value) else self.value


@dataclass(frozen=True)
class ItemRow:
    """One question as the form shows it: its options, what was chosen, and any problem."""

    item: Item
    options: tuple[Option, ...]
    error: str
    missing: bool
    asked_if: tuple[str, int] | None

    @property
    def link_id(self) -> str:
        return self.item.link_id

    @property
    def text(self) -> str:
        """The item's label without a leading "Item 3 — " (its number is shown beside it)."""
        prefix = f"Item {self.item.number} — "
        return self.item.text.removeprefix(prefix)

    @property
    def asked_if_attr(self) -> str:
        return f"{self.asked_if[0]}={self.asked_if[1]}" if self.asked_if else ""


def item_rows(
    scale: Scale,
    chosen: Any,
    errors: dict[str, str],
    missing: tuple[str, ...],
    rules: RiskRules = DEFAULT_RISK_RULES,
) -> list[ItemRow]:
    """`rules`: the patient's clinic's flag levels (any answer that flags does so at every
    level the floor allows, so the warning itself does not depend on them)."""
    rows = []
    for item in scale.items:
        picked = str(chosen.get(item.link_id, "")).strip()
        options = tuple(
            Option(
                str(o.value),
                o.display,
                picked == str(o.value),
                f"{item.link_id}-{o.value}",
                # This answer alone raises a risk flag (PHQ-9 item 9, QIDS item 12), by the
                # same rule saving applies: the page can warn before anything is sent.
                decide_flag(scale.code, {item.link_id: o.value}, None, rules) is not None,
            )
            for o in item.options
        )
        rows.append(
            ItemRow(
                item,
                options,
                errors.get(item.link_id, ""),
                item.link_id in missing,
                ASKED_IF.get(item.link_id),
            )
        )
    return rows


def result_json(scale: Scale, result: ScoreResult, flag: FlagDecision | None) -> dict[str, Any]:
    """What the live preview shows; every number and word comes from the library."""
    missing = [
        {"link_id": link_id, "label": item_label(scale.item(link_id))}
        for link_id in result.missing_items
    ]
    return {
        "scale": scale.code,
        "complete": result.complete,
        "total": result.total,
        "max_total": scale.max_total,
        "band": result.band,
        "risk_level": result.risk_level,
        "subscores": result.subscores,
        "mean_scores": result.mean_scores,
        "flags": list(result.flags),
        "flag_labels": [flag_label(f) for f in result.flags],
        "missing_items": missing,
        "explanation": list(result.explanation),
        "risk_flag": {"level": flag.level, "reason": flag.reason} if flag else None,
    }


def _plain(problem: ActionError) -> str:
    """The message without the "link_id: " prefix the library puts in front."""
    text = str(problem)
    prefix = f"{problem.field}: "
    return text[len(prefix) :] if text.startswith(prefix) else text


def _score_quietly(
    patient: Patient, scale: Scale, answers: dict[str, int | None]
) -> tuple[ScoreResult | None, ActionError | None]:
    try:
        return actions.score_answers(patient, scale.code, answers), None
    except ActionError as problem:
        return None, problem


def _flag_for(
    patient: Patient, scale: Scale, answers: dict[str, int | None], result: ScoreResult | None
) -> FlagDecision | None:
    """The risk flag saving these answers would raise (same rule and clinic levels as the
    action)."""
    if result is None:
        return None
    given = {k: v for k, v in answers.items() if v is not None}
    return decide_flag(scale.code, given, result.risk_level, actions.risk_rules_for(patient))


@staff_view(Perm.PATIENT_VIEW)
@require_GET
def choose(request: ClinicRequest, patient_id: str) -> HttpResponse:
    """Pick a scale (the chart's quick picker lands here with ?scale=)."""
    patient = access_patient(request, patient_id, Perm.ASSESSMENT_RECORD)
    code = request.GET.get("scale", "")
    if code in SCALES:
        url = reverse("measures:administer", args=[patient.pk, code])
        context = request.GET.get("context", "")
        return redirect(f"{url}?context={context}" if context in Context.values else url)
    may_rate = has_perm(request.membership, Perm.ASSESSMENT_RATE_CLINICIAN)
    groups = [
        ("Self-report questionnaires", [s for s in SCALES.values() if not s.clinician_rated]),
        ("Clinician-rated", [s for s in SCALES.values() if s.clinician_rated]),
    ]
    audit(
        request,
        "measures.assessment.form_opened",
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
    )
    return render(
        request,
        "measures/choose.html",
        {"patient": patient, "groups": groups, "may_rate": may_rate},
    )


@staff_view(Perm.PATIENT_VIEW)
@require_http_methods(["GET", "POST"])
def administer(request: ClinicRequest, patient_id: str, scale_code: str) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.ASSESSMENT_RECORD)
    scale = scale_or_404(request, scale_code)
    who = request.user.display_name
    if request.method == "GET":
        active = EpisodeOfCare.objects.filter(patient=patient, status=EpisodeStatus.ACTIVE).first()
        has_baseline = Assessment.objects.filter(
            patient=patient,
            scale_code=scale.code,
            status=AssessmentStatus.FINAL,
            complete=True,
            **({"episode": active} if active else {}),
        ).exists()
        wanted = request.GET.get("context", "")
        form = AdministerForm(
            initial={
                "context": wanted if wanted in Context.values else default_context(has_baseline),
                "source": Source.STAFF,
                "episode": active,
                "administered_at": timezone.localtime().replace(second=0, microsecond=0),
            },
            patient=patient,
            scale=scale,
            who=who,
        )
        audit(
            request,
            "measures.assessment.form_opened",
            object_type="patient",
            object_id=patient.pk,
            patient_id=patient.pk,
            detail={"scale": scale.code},
        )
        return _form_page(request, patient, scale, form, item_rows(scale, {}, {}, ()))

    form = AdministerForm(request.POST, patient=patient, scale=scale, who=who)
    answers, item_errors = parse_answers(scale, request.POST)
    problems: list[str] = []
    result, problem = _score_quietly(patient, scale, answers)
    if problem is not None:
        if problem.field in {item.link_id for item in scale.items}:
            item = scale.item(problem.field)
            item_errors[problem.field] = f"{item_label(item)}: {_plain(problem)}"
        else:
            problems.append(str(problem))
    if item_errors and result is None:
        # Score what is valid so the missing items can be marked alongside the bad ones.
        valid = {k: v for k, v in answers.items() if k not in item_errors}
        result, _ = _score_quietly(patient, scale, valid)
    form_ok = form.is_valid()
    allow_incomplete = form_ok and form.cleaned_data["allow_incomplete"]
    missing = result.missing_items if result is not None else ()
    if form_ok and not item_errors and not problems and result is not None:
        if result.complete or allow_incomplete:
            try:
                assessment = actions.do_record_assessment(
                    actor_from_request(request),
                    patient,
                    scale.code,
                    answers,
                    context=form.cleaned_data["context"],
                    source=form.cleaned_data["source"],
                    episode=form.cleaned_data["episode"],
                    administered_at=form.cleaned_data["administered_at"],
                    allow_incomplete=allow_incomplete,
                )
            except ActionError as refused:
                problems.append(f"{refused.field}: {refused}")
            else:
                messages.success(request, f"Saved {short_name(scale)}: {_headline(assessment)}.")
                return redirect(
                    "measures:detail", patient_id=patient.pk, assessment_id=assessment.pk
                )
        else:
            problems.append(
                f"Not saved: {len(missing)} question{'s' if len(missing) != 1 else ''} "
                "not answered (marked below). Answer them, or choose “Save as incomplete” "
                "to keep this administration without a score."
            )
    rows = item_rows(scale, request.POST, item_errors, tuple(missing))
    return _form_page(
        request,
        patient,
        scale,
        form,
        rows,
        result=result,
        flag=_flag_for(patient, scale, answers, result) if result is not None else None,
        problems=problems,
        item_errors=[row for row in rows if row.error],
        offer_incomplete=bool(missing) and not item_errors,
        status=400,
    )


def _headline(assessment: Assessment) -> str:
    if assessment.total is not None:
        band = f" ({assessment.band})" if assessment.band else ""
        return f"{assessment.total}{band}"
    if assessment.risk_level:
        return f"risk {assessment.risk_level}"
    if assessment.mean_scores:
        return ", ".join(f"{k} {v}" for k, v in assessment.mean_scores.items())
    return "saved without a score (incomplete)"


def _form_page(
    request: ClinicRequest,
    patient: Patient,
    scale: Scale,
    form: AdministerForm,
    rows: list[ItemRow],
    *,
    result: ScoreResult | None = None,
    flag: FlagDecision | None = None,
    problems: list[str] | None = None,
    item_errors: list[ItemRow] | None = None,
    offer_incomplete: bool = False,
    status: int = 200,
) -> HttpResponse:
    values = sorted({o.value for item in scale.items for o in item.options}, key=int)
    keys = "0–9" if len(values) > 10 else f"{values[0]}–{values[-1]}"
    return render(
        request,
        "measures/administer.html",
        {
            "patient": patient,
            "scale": scale,
            "short_name": short_name(scale),
            "form": form,
            "rows": rows,
            "result": result,
            "flag": flag,
            "flag_labels": [flag_label(f) for f in result.flags] if result else [],
            "missing_labels": [item_label(scale.item(m)) for m in result.missing_items]
            if result
            else [],
            "problems": problems or [],
            "item_errors": item_errors or [],
            "missing_rows": [row for row in rows if row.missing],
            "yes_no": all(
                [o.display for o in item.options] == ["No", "Yes"] for item in scale.items
            ),
            "offer_incomplete": offer_incomplete,
            "answer_keys": keys,
            "has_risk_options": any(o.raises_flag for row in rows for o in row.options),
            "has_episodes": form.fields["episode"].queryset.exists(),  # type: ignore[attr-defined]
        },
        status=status,
    )


@staff_view(Perm.PATIENT_VIEW)
@require_POST
def preview(request: ClinicRequest, patient_id: str, scale_code: str) -> JsonResponse:
    """Score the form as it stands, without saving: the live result beside the form."""
    patient = access_patient(request, patient_id, Perm.ASSESSMENT_RECORD)
    scale = scale_or_404(request, scale_code)
    answers, errors = parse_answers(scale, request.POST)
    if errors:
        return JsonResponse({"errors": errors}, status=400)
    result, problem = _score_quietly(patient, scale, answers)
    if problem is not None or result is None:
        field = problem.field if problem else "answers"
        return JsonResponse({"errors": {field: str(problem)}}, status=400)
    # Audited like any other touch of the chart (no answers in the entry, only the scale).
    audit(
        request,
        "measures.assessment.previewed",
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        detail={"scale": scale.code},
    )
    return JsonResponse(result_json(scale, result, _flag_for(patient, scale, answers, result)))


def _assessment_or_404(patient: Patient, assessment_id: int) -> Assessment:
    return get_object_or_404(
        Assessment.objects.filter(patient=patient).select_related("administered_by", "episode"),
        pk=assessment_id,
    )


@staff_view(Perm.PATIENT_VIEW)
@require_GET
def detail(request: ClinicRequest, patient_id: str, assessment_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id)
    assessment = _assessment_or_404(patient, assessment_id)
    audit(
        request,
        "measures.assessment.viewed",
        object_type="assessment",
        object_id=assessment.pk,
        patient_id=patient.pk,
    )
    return _detail_page(request, patient, assessment, EnteredInErrorForm())


def _detail_page(
    request: ClinicRequest,
    patient: Patient,
    assessment: Assessment,
    error_form: EnteredInErrorForm,
    status: int = 200,
) -> HttpResponse:
    scale = SCALES.get(assessment.scale_code)
    answers = []
    if scale is not None:
        for item in scale.items:
            value = assessment.answers.get(item.link_id)
            shown = item.option_for(value).display if value is not None else "—"
            answers.append((item, value, shown))
    membership = request.membership
    needs_cssrs = _needs_cssrs(assessment)
    # The same reading as the dosing gate: a complete screen, not entered in error, given
    # after the answer (an unfinished screen has no risk level and is not a screen).
    cssrs_since = (
        screen_after(patient.pk, assessment, assessment.recorded_at) if needs_cssrs else None
    )
    return render(
        request,
        "measures/detail.html",
        {
            "patient": patient,
            "a": assessment,
            "scale": scale,
            "short_name": short_name(scale) if scale else assessment.scale_code,
            "answers": answers,
            "flag_labels": [flag_label(f) for f in assessment.flags],
            "missing_labels": [
                item_label(scale.item(m)) if scale else m for m in assessment.missing_items
            ],
            "error_form": error_form,
            "is_error": assessment.status == AssessmentStatus.ENTERED_IN_ERROR,
            "can_mark_error": has_perm(membership, Perm.ASSESSMENT_MARK_ERROR),
            "can_give_cssrs": has_perm(membership, Perm.ASSESSMENT_RATE_CLINICIAN),
            "can_record": has_perm(membership, Perm.ASSESSMENT_RECORD),
            "needs_cssrs": needs_cssrs,
            "cssrs_since": cssrs_since,
        },
        status=status,
    )


def _needs_cssrs(assessment: Assessment) -> bool:
    """Whether these answers call for a C-SSRS screen (the risk rules' own decision)."""
    decision = decide_flag(
        assessment.scale_code,
        assessment.answers,
        assessment.risk_level or None,
        actions.risk_rules_for(assessment.patient),
    )
    return decision is not None and decision.requires_cssrs


@staff_view(Perm.PATIENT_VIEW)
@require_POST
def entered_in_error(request: ClinicRequest, patient_id: str, assessment_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.ASSESSMENT_MARK_ERROR)
    assessment = _assessment_or_404(patient, assessment_id)
    if assessment.status == AssessmentStatus.ENTERED_IN_ERROR:
        messages.info(request, "This assessment was already marked entered in error.")
        return redirect("measures:detail", patient_id=patient.pk, assessment_id=assessment.pk)
    form = EnteredInErrorForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, patient, assessment, form, status=400)
    try:
        actions.do_mark_entered_in_error(
            actor_from_request(request), assessment, form.cleaned_data["reason"]
        )
    except ActionError as problem:
        form.add_error("reason", str(problem))
        return _detail_page(request, patient, assessment, form, status=400)
    messages.success(
        request,
        "Marked entered in error. It stays readable here but no longer counts in trajectories "
        "or response.",
    )
    return redirect("measures:detail", patient_id=patient.pk, assessment_id=assessment.pk)
