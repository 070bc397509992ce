"""A patient's treatment plan, mounted under /patients/<patient_id>/plan/: choose a protocol,
personalise the draft with the dose calculation beside it, sign, then revise, change status
or phase (each a new revision with a reason), and read the revision history.

Every view fetches the patient through `access_patient` first and the plan through that
patient; changes go to one `do_*` action in `plans.actions`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from ketacare.accounts.access import staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import actor_from_request, audit
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.accounts.request import ClinicRequest
from ketacare.clinical.findings import Route
from ketacare.clinical.protocols import Frequency
from ketacare.clinical.scales import SCALES
from ketacare.core import submission
from ketacare.core.form_errors import add_refusal, labelled
from ketacare.core.submission import AlreadySaved, already_saved
from ketacare.evaluations.models import EligibilityDecision, EvaluationStatus
from ketacare.measures.scheduling import clinic_today, clinic_zone
from ketacare.patients.access import access_patient
from ketacare.patients.models import BodyMeasurement, Patient
from ketacare.plans import actions
from ketacare.plans.forms import (
    ChooseProtocolForm,
    PersonaliseForm,
    PhaseForm,
    SignForm,
    StatusForm,
)
from ketacare.plans.models import PLAN_TRANSITIONS, PlanStatus, TreatmentPlan
from ketacare.plans.protocols import available_protocols

# The dose calculation names the input it refuses ("concentration_mg_per_ml: …"); the panel
# shows the label the prescriber typed it under.
PANEL_LABELS = {
    **{name: str(field.label) for name, field in PersonaliseForm.base_fields.items()},
    "value": "Dose",
    "weight_kg": "Weight (kg)",
    "height_cm": "Height (cm)",
}


def eligible_routes(patient: Patient) -> list[Route]:
    """Routes whose latest signed eligibility decision allows treatment (one query; the same
    rule as `evaluations.gates.signed_decision`)."""
    latest: dict[str, EligibilityDecision] = {}
    for decision in EligibilityDecision.objects.filter(
        evaluation__patient=patient, evaluation__status=EvaluationStatus.SIGNED
    ).order_by("-signed_at", "-pk"):
        latest.setdefault(decision.route, decision)
    return [r for r in Route if r.value in latest and latest[r.value].allows_treatment]


def frequency_text(plan: TreatmentPlan) -> str:
    """The chosen frequency in words ("twice weekly"), or "" for the phase default."""
    if not (plan.frequency_count and plan.frequency_per_days):
        return ""
    return Frequency(plan.frequency_count, plan.frequency_per_days).describe()


def _plan(patient: Patient, plan_id: int) -> TreatmentPlan:
    plan = (
        TreatmentPlan.objects.filter(patient=patient, clinic=patient.clinic, pk=plan_id)
        .select_related("signed_by", "created_by")
        .first()
    )
    if plan is None:
        raise Http404("No such plan on this chart.")
    plan.patient = patient
    return plan


def _url(patient_id: object, plan_id: object, anchor: str = "") -> str:
    return reverse("plans:detail", args=[patient_id, plan_id]) + (f"#{anchor}" if anchor else "")


def _to(plan: TreatmentPlan, anchor: str = "") -> HttpResponse:
    return HttpResponseRedirect(_url(plan.patient_id, plan.pk, anchor))


def _once(request: ClinicRequest, kind: str, plan: TreatmentPlan) -> tuple[str, str]:
    """(the form's one-time key, the revision it made before: "" when new)."""
    return submission.page_key(request, submission.scope(kind, plan.pk))


def _can(request: ClinicRequest) -> dict[str, bool]:
    m = request.membership
    return {"write": has_perm(m, Perm.PLAN_WRITE), "sign": has_perm(m, Perm.PLAN_SIGN)}


def dose_panel(plan: TreatmentPlan, patient: Patient) -> dict[str, Any]:
    """The inputs of today's dose and the working; never raises on missing or bad data."""
    protocol = actions.plan_protocol(plan)
    rule = protocol.dose_for(plan.phase)
    latest = BodyMeasurement.objects.filter(patient=patient).first()
    height_row = BodyMeasurement.objects.filter(patient=patient, height_cm__isnull=False).first()
    today = clinic_today(patient.clinic)
    panel: dict[str, Any] = {
        "rule": rule,
        "weight": latest,
        "weight_local": latest.measured_at.astimezone(clinic_zone(patient.clinic))
        if latest
        else None,
        "weight_today": latest is not None
        and latest.measured_at.astimezone(clinic_zone(patient.clinic)).date() == today,
        "height_cm": height_row.height_cm if height_row else None,
        "sex": patient.sex_at_birth,
        "basis": plan.weight_basis or (rule.weight_basis.value if rule.is_weight_based else ""),
        "needs_weight": rule.is_weight_based and latest is None,
        "dose": None,
        "problem": "",
    }
    if panel["needs_weight"]:
        return panel
    try:
        panel["dose"] = actions.plan_dose(
            plan,
            weight_kg=latest.weight_kg if latest else None,
            height_cm=panel["height_cm"],
            sex=patient.sex_at_birth or None,
            first_session=plan.revision == 0 or plan.status == PlanStatus.DRAFT,
        )
    except ValueError as problem:
        panel["problem"] = labelled(PANEL_LABELS, str(problem))
    return panel


def _page(
    request: ClinicRequest,
    patient: Patient,
    plan: TreatmentPlan,
    *,
    form: PersonaliseForm | None = None,
    status_form: StatusForm | None = None,
    phase_form: PhaseForm | None = None,
    sign_form: SignForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can = _can(request)
    protocol = actions.plan_protocol(plan)
    is_draft = plan.status == PlanStatus.DRAFT
    context: dict[str, Any] = {
        "patient": patient,
        "plan": plan,
        "p": protocol,
        "phase": protocol.phase(plan.phase),
        "can": can,
        "is_draft": is_draft,
        "panel": dose_panel(plan, patient),
        "targets": [
            {
                **t,
                "name": SCALES[t["scale"]].name.split(" (")[0]
                if t["scale"] in SCALES
                else t["scale"],
            }
            for t in plan.targets or []
        ],
        "transitions": [PlanStatus(s) for s in PLAN_TRANSITIONS.get(plan.status, ())],
        "frequency": frequency_text(plan),
    }
    if can["write"] and plan.is_open:
        context["form"] = form or PersonaliseForm(
            protocol, plan.phase, plan=plan, revising=not is_draft
        )
        if not is_draft:
            context["status_form"] = status_form or StatusForm(current=plan.status)
            context["phase_form"] = phase_form or PhaseForm(protocol, plan.phase)
    if can["sign"] and is_draft:
        context["sign_form"] = sign_form or SignForm()
    audit(
        request,
        "plans.plan.viewed",
        object_type="plan",
        object_id=plan.pk,
        patient_id=patient.pk,
    )
    return render(request, "plans/plan.html", context, status=status)


@staff_view(Perm.PATIENT_VIEW)
def current(request: ClinicRequest, patient_id: str) -> HttpResponse:
    """The open plan (else the latest), or the protocol choice when there is none."""
    patient = access_patient(request, patient_id)
    plans = TreatmentPlan.objects.filter(patient=patient, clinic=request.clinic)
    plan = plans.filter(status__in=actions.OPEN_STATUSES).first() or plans.first()
    if plan is None:
        return HttpResponseRedirect(reverse("plans:new", args=[patient.pk]))
    return _to(plan)


def _choose_page(
    request: ClinicRequest, patient: Patient, form: ChooseProtocolForm | None, status: int = 200
) -> HttpResponse:
    protocols = available_protocols(request.clinic)
    routes = eligible_routes(patient)
    open_plan = TreatmentPlan.objects.filter(
        patient=patient, status__in=actions.OPEN_STATUSES
    ).first()
    context = {
        "patient": patient,
        "form": form or ChooseProtocolForm(protocols),
        "rows": [(p, p.route in routes) for p in protocols],
        "routes": routes,
        "open_plan": open_plan,
    }
    return render(request, "plans/new.html", context, status=status)


@staff_view(Perm.PLAN_WRITE)
@require_http_methods(["GET", "POST"])
def new(request: ClinicRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.PLAN_WRITE)
    if request.method == "GET":
        audit(request, "plans.plan.choose_viewed", object_type="patient", patient_id=patient.pk)
        return _choose_page(request, patient, None)
    once, first = submission.page_key(request, submission.scope(actions.ONCE_PLAN, patient.pk))
    if first:  # before the one-open-plan rule, which would refuse the repeat
        return already_saved(request, _url(patient.pk, first, "personalise"))
    form = ChooseProtocolForm(available_protocols(request.clinic), request.POST)
    if form.is_valid():
        try:
            plan = actions.do_create_plan(
                actor_from_request(request), patient, form.cleaned_data["protocol"], once=once
            )
        except AlreadySaved as saved:
            return already_saved(request, _url(patient.pk, saved.object_id, "personalise"))
        except ActionError as problem:
            add_refusal(
                form, problem.field if problem.field in form.fields else "protocol", problem.message
            )
        else:
            messages.success(request, "Draft plan created: personalise it, then sign.")
            return _to(plan, "personalise")
    return _choose_page(request, patient, form, status=400)


@staff_view(Perm.PATIENT_VIEW)
def detail(request: ClinicRequest, patient_id: str, plan_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id)
    return _page(request, patient, _plan(patient, plan_id))


@staff_view(Perm.PLAN_WRITE)
@require_POST
def edit(request: ClinicRequest, patient_id: str, plan_id: int) -> HttpResponse:
    """A draft is edited in place; a signed plan gets a new revision with the reason."""
    patient = access_patient(request, patient_id, Perm.PLAN_WRITE)
    plan = _plan(patient, plan_id)
    is_draft = plan.status == PlanStatus.DRAFT
    form = PersonaliseForm(
        actions.plan_protocol(plan), plan.phase, request.POST, revising=not is_draft
    )
    if form.is_valid():
        actor = actor_from_request(request)
        try:
            if is_draft:
                actions.do_update_draft(actor, plan, form.values())
            else:
                actions.do_revise_plan(actor, plan, form.values(), form.cleaned_data["reason"])
        except ActionError as problem:
            _refuse(form, actions.problems_of(problem))
        else:
            messages.success(request, "Draft saved." if is_draft else "Revision saved.")
            return _to(plan)
    else:
        # A value the form cannot take (500 sessions) must not hide the rules' problems with
        # the values it could read (a frequency too close, a start in 1900): all at once.
        _, problems = actions.personalisation_problems(
            actions.plan_protocol(plan), plan.phase, form.values(), plan=plan
        )
        _refuse(
            form,
            [(f, m) for f, m in problems if form.error_field(f, m) not in form.errors],
        )
    return _page(request, patient, plan, form=form, status=400)


def _refuse(form: PersonaliseForm, problems: list[tuple[str, str]]) -> None:
    """Each problem under the field it is about, in the page's words (not the code's name)."""
    for field, message in problems:
        add_refusal(form, form.error_field(field, message), message, named=field)


@staff_view(Perm.PLAN_SIGN)
@require_POST
def sign(request: ClinicRequest, patient_id: str, plan_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.PLAN_SIGN)
    plan = _plan(patient, plan_id)
    once, first = _once(request, actions.ONCE_SIGN, plan)
    if first:  # before "only a draft can be signed", which would refuse the repeat
        return already_saved(request, _url(patient.pk, plan.pk))
    form = SignForm(request.POST)
    if form.is_valid():
        try:
            actions.do_sign_plan(
                actor_from_request(request), plan, form.cleaned_data["note"], once=once
            )
        except AlreadySaved:
            return already_saved(request, _url(patient.pk, plan.pk))
        except ActionError as problem:
            form.add_error(None, problem.message)
        else:
            messages.success(request, "Plan signed: revision 1, active.")
            return _to(plan)
    return _page(request, patient, plan, sign_form=form, status=400)


@staff_view(Perm.PLAN_WRITE)
@require_POST
def set_status(request: ClinicRequest, patient_id: str, plan_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.PLAN_WRITE)
    plan = _plan(patient, plan_id)
    once, first = _once(request, actions.ONCE_STATUS, plan)
    if first:
        return already_saved(request, _url(patient.pk, plan.pk))
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            actions.do_set_status(
                actor_from_request(request),
                plan,
                form.cleaned_data["status"],
                form.cleaned_data["reason"],
                once=once,
            )
        except AlreadySaved:
            return already_saved(request, _url(patient.pk, plan.pk))
        except ActionError as problem:
            add_refusal(form, problem.field, problem.message)
        else:
            messages.success(request, "Status changed.")
            return _to(plan)
    return _page(request, patient, plan, status_form=form, status=400)


@staff_view(Perm.PLAN_WRITE)
@require_POST
def set_phase(request: ClinicRequest, patient_id: str, plan_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.PLAN_WRITE)
    plan = _plan(patient, plan_id)
    once, first = _once(request, actions.ONCE_PHASE, plan)
    if first:  # before the form, which no longer offers the phase the plan is now in
        return already_saved(request, _url(patient.pk, plan.pk))
    form = PhaseForm(actions.plan_protocol(plan), plan.phase, request.POST)
    if form.is_valid():
        try:
            actions.do_set_phase(
                actor_from_request(request),
                plan,
                form.cleaned_data["phase"],
                form.cleaned_data["reason"],
                once=once,
            )
        except AlreadySaved:
            return already_saved(request, _url(patient.pk, plan.pk))
        except ActionError as problem:
            add_refusal(form, problem.field, problem.message)
        else:
            messages.success(request, "Phase changed.")
            return _to(plan)
    return _page(request, patient, plan, phase_form=form, status=400)


@staff_view(Perm.PATIENT_VIEW)
def history(request: ClinicRequest, patient_id: str, plan_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id)
    plan = _plan(patient, plan_id)
    revisions = list(plan.revisions.select_related("author").order_by("-number"))
    audit(
        request,
        "plans.plan.history_viewed",
        object_type="plan",
        object_id=plan.pk,
        patient_id=patient.pk,
    )
    context = {
        "patient": patient,
        "plan": plan,
        "p": actions.plan_protocol(plan),
        "revisions": [
            (r, [(field.replace("_", " "), pair[0], pair[1]) for field, pair in r.changes.items()])
            for r in revisions
        ],
    }
    return render(request, "plans/history.html", context)
