"""Evaluation pages, mounted under /patients/<patient_id>/evaluation/ (see ketacare/urls.py):
the evaluation (sections, checklist, trials with the TRD summary, medications with interaction
flags, baseline scales), the decision and its signing, addenda, consent and REMS enrolment.

Every view fetches the patient through `access_patient` first (another clinic's patient is a
404 before anything else is looked at) and hands changes to one `do_*` action.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ketacare.accounts.access import require, staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import actor_from_request, audit
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.accounts.request import ClinicRequest
from ketacare.clinical.findings import RACEMIC_ROUTES, Route
from ketacare.clinical.scales import SCALES
from ketacare.core import submission
from ketacare.core.form_errors import add_refusal, add_refusals, without_prefix
from ketacare.core.submission import AlreadySaved, already_saved
from ketacare.evaluations import actions, engine
from ketacare.evaluations.forms import (
    AddendumForm,
    ConsentForm,
    EvaluationForm,
    MedicationForm,
    RemsForm,
    StartForm,
    TrialForm,
    checklist_sections,
    sign_inputs,
)
from ketacare.evaluations.models import CONSENT_RISKS, Consent, Evaluation, RemsEnrollment
from ketacare.measures.models import Assessment, AssessmentStatus, Context
from ketacare.patients.access import access_patient
from ketacare.patients.models import Patient

SEVERITY_GROUPS = (
    ("hard_stop", "Hard stops", "No override: not eligible for this route."),
    ("relative", "Relative contraindications", "Need a prescriber's written justification."),
    ("caution", "Cautions", "Conditions of treatment."),
    ("info", "Notes", "For information; they change nothing."),
)


def _evaluation(patient: Patient, evaluation_id: int) -> Evaluation:
    evaluation = Evaluation.objects.filter(patient=patient).filter(pk=evaluation_id).first()
    if evaluation is None:
        raise Http404("No such evaluation on this chart.")
    evaluation.patient = patient
    return evaluation


def _url(patient: Patient, evaluation_id: object = None, anchor: str = "") -> str:
    if evaluation_id is None:
        url = reverse("evaluations:overview", args=[patient.pk])
    else:
        url = reverse("evaluations:detail", args=[patient.pk, evaluation_id])
    return url + (f"#{anchor}" if anchor else "")


def _to(patient: Patient, evaluation: Evaluation | None = None, anchor: str = "") -> HttpResponse:
    return HttpResponseRedirect(_url(patient, evaluation.pk if evaluation else None, anchor))


def _can(request: ClinicRequest) -> dict[str, bool]:
    m = request.membership
    return {
        "edit": has_perm(m, Perm.EVALUATION_EDIT),
        "sign": has_perm(m, Perm.EVALUATION_SIGN),
        "consent": has_perm(m, Perm.CONSENT_RECORD),
        "assess": has_perm(m, Perm.ASSESSMENT_RECORD),
    }


def baseline_scores(patient: Patient) -> list[tuple[str, Assessment]]:
    """The latest final intake-baseline score of each scale (newest first)."""
    latest: dict[str, Assessment] = {}
    rows = Assessment.objects.filter(
        patient=patient, status=AssessmentStatus.FINAL, context=Context.INTAKE_BASELINE
    ).order_by("-administered_at")[:50]
    for row in rows:
        latest.setdefault(row.scale_code, row)
    return [
        (SCALES[code].name.split(" (")[0] if code in SCALES else code, a)
        for code, a in latest.items()
    ]


def _others(patient: Patient, evaluation: Evaluation | None) -> list[Evaluation]:
    return [
        e
        for e in Evaluation.objects.filter(patient=patient)[:11]
        if evaluation is None or e.pk != evaluation.pk
    ][:10]


def grouped(findings: list[dict[str, Any]]) -> list[tuple[str, str, str, list[dict[str, Any]]]]:
    return [
        (
            key,
            title,
            hint,
            [
                {**f, "detail": engine.readable_detail(f["detail"])}
                for f in findings
                if f["severity"] == key
            ],
        )
        for key, title, hint in SEVERITY_GROUPS
    ]


def _page(
    request: ClinicRequest,
    patient: Patient,
    evaluation: Evaluation | None,
    *,
    form: EvaluationForm | None = None,
    trial_form: TrialForm | None = None,
    medication_form: MedicationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can = _can(request)
    context: dict[str, Any] = {
        "patient": patient,
        "evaluation": evaluation,
        "can": can,
        "baseline": baseline_scores(patient),
        "previous": _others(patient, evaluation),
    }
    if evaluation is None:
        context["start_form"] = StartForm()
    else:
        editable = can["edit"] and not evaluation.is_signed
        edit_form = form or EvaluationForm(instance=evaluation)
        checked = set(
            edit_form["medical_history"].value() or [] if editable else evaluation.medical_history
        )
        trials = list(evaluation.trials.all())
        companions = engine.companions(evaluation)
        context.update(
            {
                "editable": editable,
                "form": edit_form if editable else None,
                "checklist": [
                    (section, [(key, label, key in checked) for key, label in items])
                    for section, items in checklist_sections()
                ],
                "checklist_error": edit_form.errors.get("medical_history") if editable else None,
                "trial_rows": list(zip(trials, companions.trd.verdicts, strict=True)),
                "medications": list(evaluation.medications.all()),
                "companions": companions,
                "bmi": engine.bmi_of(evaluation),
                "trial_form": trial_form or TrialForm(),
                "medication_form": medication_form or MedicationForm(),
                "decision": getattr(evaluation, "decision", None)
                if hasattr(evaluation, "decision")
                else None,
                "addenda": evaluation.addenda.select_related("author"),
                "addendum_form": AddendumForm(),
            }
        )
    audit(
        request,
        "evaluations.evaluation.viewed",
        object_type="evaluation",
        object_id=evaluation.pk if evaluation else "",
        patient_id=patient.pk,
    )
    return render(request, "evaluations/evaluation.html", context, status=status)


@staff_view(Perm.PATIENT_VIEW)
def overview(request: ClinicRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request, patient_id)
    return _page(request, patient, Evaluation.objects.filter(patient=patient).first())


@staff_view(Perm.PATIENT_VIEW)
def detail(request: ClinicRequest, patient_id: str, evaluation_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id)
    return _page(request, patient, _evaluation(patient, evaluation_id))


@staff_view(Perm.PATIENT_VIEW)
@require_POST
def start(request: ClinicRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.EVALUATION_EDIT)
    where = submission.scope(actions.ONCE_EVALUATION, patient.pk)
    once, first = submission.page_key(request, where)
    if first:  # before the one-draft rule, which would refuse the repeat
        return already_saved(request, _url(patient, first))
    form = StartForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "; ".join(
                f"{form[k].label}: {v[0]}" if k in form.fields else str(v[0])
                for k, v in form.errors.items()
            ),
        )
        return _to(patient)
    try:
        evaluation = actions.do_start_evaluation(
            actor_from_request(request),
            patient,
            form.cleaned_data["route"],
            form.cleaned_data["indication"],
            once=once,
        )
    except AlreadySaved as saved:
        return already_saved(request, _url(patient, saved.object_id))
    except ActionError as problem:
        messages.error(request, problem.message)
        return _to(patient)
    messages.success(request, "Evaluation started.")
    return _to(patient, evaluation)


@staff_view(Perm.PATIENT_VIEW)
@require_POST
def edit(request: ClinicRequest, patient_id: str, evaluation_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.EVALUATION_EDIT)
    evaluation = _evaluation(patient, evaluation_id)
    if evaluation.is_signed:
        messages.error(request, actions.SIGNED_MESSAGE)
        return _to(patient, evaluation)
    # Validate on a copy so a refused form never leaves half-applied values in memory.
    form = EvaluationForm(request.POST, instance=Evaluation.objects.get(pk=evaluation.pk))
    if form.is_valid():
        try:
            changed = actions.do_update_evaluation(
                actor_from_request(request),
                evaluation,
                {name: form.cleaned_data[name] for name in form.fields},
            )
        except ActionError as problem:
            if problem.field == "evaluation":
                messages.error(request, problem.message)
                return _to(patient, evaluation)
            add_refusals(form, getattr(problem, "problems", [(problem.field, problem.message)]))
        else:
            messages.success(request, "Saved." if changed else "Nothing changed.")
            return _to(patient, evaluation)
    else:
        # A value the form cannot read must not hide the clinical problems of the others.
        add_refusals(
            form,
            [
                (name, message)
                for name, message in actions.section_problems(form.cleaned_data)
                if name not in form.errors
            ],
        )
    return _page(request, patient, evaluation, form=form, status=400)


def _child_action(
    request: ClinicRequest,
    patient_id: str,
    evaluation_id: int,
    form_class: type[TrialForm] | type[MedicationForm],
    action: Any,
    anchor: str,
    kind: str,
) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.EVALUATION_EDIT)
    evaluation = _evaluation(patient, evaluation_id)
    once, first = submission.page_key(request, submission.scope(kind, evaluation.pk))
    if first:
        return already_saved(request, _url(patient, evaluation.pk, anchor))
    if evaluation.is_signed:
        messages.error(request, actions.SIGNED_MESSAGE)
        return _to(patient, evaluation, anchor)
    form = form_class(request.POST)
    if form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.fields}
        if "drug_class" in data and data["drug_class"] is None:
            data["drug_class"] = ""
        try:
            action(actor_from_request(request), evaluation, data, once=once)
        except AlreadySaved:
            return already_saved(request, _url(patient, evaluation.pk, anchor))
        except ActionError as problem:
            if problem.field == "evaluation":
                messages.error(request, problem.message)
                return _to(patient, evaluation, anchor)
            add_refusals(form, getattr(problem, "problems", [(problem.field, problem.message)]))
        else:
            messages.success(request, "Added.")
            return _to(patient, evaluation, anchor)
    else:
        # A value the form cannot take (no drug name) must not hide the engine's problems with
        # the values it could read (a negative dose).
        problems = (
            actions.trial_problems if isinstance(form, TrialForm) else actions.medication_problems
        )
        add_refusals(
            form,
            [(name, text) for name, text in problems(form.cleaned_data) if name not in form.errors],
        )
    if isinstance(form, TrialForm):
        return _page(request, patient, evaluation, trial_form=form, status=400)
    return _page(request, patient, evaluation, medication_form=form, status=400)


@staff_view(Perm.PATIENT_VIEW)
@require_POST
def trial_add(request: ClinicRequest, patient_id: str, evaluation_id: int) -> HttpResponse:
    return _child_action(
        request,
        patient_id,
        evaluation_id,
        TrialForm,
        actions.do_add_trial,
        "trials",
        actions.ONCE_TRIAL,
    )


@staff_view(Perm.PATIENT_VIEW)
@require_POST
def medication_add(request: ClinicRequest, patient_id: str, evaluation_id: int) -> HttpResponse:
    return _child_action(
        request,
        patient_id,
        evaluation_id,
        MedicationForm,
        actions.do_add_medication,
        "medications",
        actions.ONCE_MEDICATION,
    )


@staff_view(Perm.PATIENT_VIEW)
@require_POST
def trial_remove(
    request: ClinicRequest, patient_id: str, evaluation_id: int, trial_id: int
) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.EVALUATION_EDIT)
    evaluation = _evaluation(patient, evaluation_id)
    try:
        actions.do_remove_trial(actor_from_request(request), evaluation, trial_id)
        messages.success(request, "Trial removed.")
    except ActionError as problem:
        messages.error(request, problem.message)
    return _to(patient, evaluation, "trials")


@staff_view(Perm.PATIENT_VIEW)
@require_POST
def medication_remove(
    request: ClinicRequest, patient_id: str, evaluation_id: int, medication_id: int
) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.EVALUATION_EDIT)
    evaluation = _evaluation(patient, evaluation_id)
    try:
        actions.do_remove_medication(actor_from_request(request), evaluation, medication_id)
        messages.success(request, "Medication removed.")
    except ActionError as problem:
        messages.error(request, problem.message)
    return _to(patient, evaluation, "medications")


@staff_view(Perm.PATIENT_VIEW)
@require_http_methods(["GET", "POST"])
def decision(request: ClinicRequest, patient_id: str, evaluation_id: int) -> HttpResponse:
    """Draft: the engine's findings now, with a justification box per relative finding and the
    Sign button. Signed: the stored decision, read-only, with its addenda."""
    patient = access_patient(request, patient_id)
    evaluation = _evaluation(patient, evaluation_id)
    overrides, declined = sign_inputs(request.POST) if request.method == "POST" else ({}, "")
    error: ActionError | None = None
    if request.method == "POST":
        require(request, Perm.EVALUATION_SIGN)
        try:
            actions.do_sign_decision(actor_from_request(request), evaluation, overrides, declined)
        except ActionError as problem:
            if problem.field == "evaluation":
                messages.error(request, problem.message)
                return _to(patient, evaluation)
            error = problem
        else:
            messages.success(request, "Decision signed. The evaluation is now read-only.")
            return redirect(
                "evaluations:decision", patient_id=patient.pk, evaluation_id=evaluation.pk
            )
    stored = getattr(evaluation, "decision", None) if hasattr(evaluation, "decision") else None
    if evaluation.is_signed and stored is not None:
        findings, summary, outcome = stored.findings, stored.summary, stored.get_outcome_display()
    else:
        live = engine.run(evaluation, overrides)
        findings = [engine.finding_dict(f) for f in live.findings]
        summary, outcome = list(live.summary), live.outcome.value.replace("_", " ").capitalize()
        stored = None
    audit(
        request,
        "evaluations.decision.viewed",
        object_type="evaluation",
        object_id=evaluation.pk,
        patient_id=patient.pk,
    )
    return render(
        request,
        "evaluations/decision.html",
        {
            "patient": patient,
            "evaluation": evaluation,
            "decision": stored,
            "outcome": outcome,
            "summary": summary,
            "groups": grouped(findings),
            "overrides": overrides,
            "declined_reason": declined,
            "error": error,
            # The field is shown by position on the page; the message need not repeat its key.
            "error_text": without_prefix(error.message, error.field) if error else "",
            "can": _can(request),
            "addenda": evaluation.addenda.select_related("author"),
            "addendum_form": AddendumForm(),
        },
        status=400 if error else 200,
    )


@staff_view(Perm.PATIENT_VIEW)
@require_POST
def addendum_add(request: ClinicRequest, patient_id: str, evaluation_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.EVALUATION_EDIT)
    evaluation = _evaluation(patient, evaluation_id)
    url = reverse("evaluations:decision", args=[patient.pk, evaluation.pk]) + "#addenda"
    once, first = submission.page_key(
        request, submission.scope(actions.ONCE_ADDENDUM, evaluation.pk)
    )
    if first:
        return already_saved(request, url)
    try:
        actions.do_add_addendum(
            actor_from_request(request), evaluation, request.POST.get("text", ""), once=once
        )
        messages.success(request, "Addendum added.")
    except AlreadySaved:
        return already_saved(request, url)
    except ActionError as problem:
        messages.error(request, problem.message)
    return HttpResponseRedirect(url)


@staff_view(Perm.PATIENT_VIEW)
@require_http_methods(["GET", "POST"])
def consent(request: ClinicRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request, patient_id)
    latest = Evaluation.objects.filter(patient=patient).first()
    initial = {"route": latest.route if latest else "", "signed_on": timezone.localdate()}
    form = ConsentForm(request.POST or None, initial=initial)
    if request.method == "POST":
        require(request, Perm.CONSENT_RECORD)
        here = reverse("evaluations:consent", args=[patient.pk])
        once, first = submission.page_key(
            request, submission.scope(actions.ONCE_CONSENT, patient.pk)
        )
        if first:
            return already_saved(request, here)
        if form.is_valid():
            try:
                actions.do_record_consent(
                    actor_from_request(request), patient, form.cleaned_data, once=once
                )
            except AlreadySaved:
                return already_saved(request, here)
            except ActionError as problem:
                add_refusal(form, problem.field, problem.message)
            else:
                messages.success(request, "Consent recorded.")
                return redirect("evaluations:consent", patient_id=patient.pk)
    audit(
        request,
        "evaluations.consent.viewed",
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
    )
    return render(
        request,
        "evaluations/consent.html",
        {
            "patient": patient,
            "form": form,
            "consents": Consent.objects.filter(patient=patient).select_related("recorded_by"),
            "risks": CONSENT_RISKS,
            # By name, without the "(off-label)" every one of them carries: the sentence says it.
            "racemic_routes": sorted(r.label.removesuffix(" (off-label)") for r in RACEMIC_ROUTES),
            "can": _can(request),
        },
        status=400 if form.errors else 200,
    )


@staff_view(Perm.PATIENT_VIEW)
@require_http_methods(["GET", "POST"])
def rems(request: ClinicRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request, patient_id)
    current = RemsEnrollment.objects.filter(patient=patient).first()
    initial = (
        {"rems_patient_id": current.rems_patient_id, "enrolled_on": current.enrolled_on}
        if current
        else {}
    )
    form = RemsForm(request.POST or None, initial=initial)
    if request.method == "POST":
        require(request, Perm.CONSENT_RECORD)
        if form.is_valid():
            try:
                actions.do_record_rems_enrollment(
                    actor_from_request(request),
                    patient,
                    form.cleaned_data["rems_patient_id"],
                    form.cleaned_data["enrolled_on"],
                )
            except ActionError as problem:
                add_refusal(form, problem.field, problem.message)
            else:
                messages.success(request, "REMS enrolment recorded.")
                return redirect("evaluations:rems", patient_id=patient.pk)
    audit(
        request,
        "evaluations.rems.viewed",
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
    )
    return render(
        request,
        "evaluations/rems.html",
        {
            "patient": patient,
            "form": form,
            "current": current,
            "esketamine": Route.ESKETAMINE_NASAL.label,
            "can": _can(request),
        },
        status=400 if form.errors else 200,
    )
