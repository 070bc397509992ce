"""Staff pages of the crisis workflow, under /patients/<patient_id>/crisis/.

Every view fetches the patient through `access_patient` (clinic scope + audit) first, then the
record through that patient; each POST is one `do_*` action and redirects back. A refused
change re-renders the page with the message naming the field, status 400. Every render of a
record (`_page`) is audited `safety.crisis.viewed`, a refused POST's too.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ketacare.accounts.access import staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import actor_from_request, audit
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.clinical.crisis_rules import REQUIRED_BEFORE_CLOSE, Step
from ketacare.core.form_errors import add_refusal, labelled
from ketacare.measures.models import Assessment, AssessmentStatus
from ketacare.patients.access import access_patient
from ketacare.patients.models import Patient
from ketacare.safety import crisis_actions as actions
from ketacare.safety.crisis_forms import (
    AddendumForm,
    ClearBlockForm,
    CloseForm,
    OpenCrisisForm,
    StepForm,
)
from ketacare.safety.crisis_models import CrisisRecord, CrisisStatus, DosingBlock
from ketacare.safety.dosing_block import active_blocks, unevaluated_block_ids
from ketacare.safety.models import RiskFlag

STEP_TITLES = {
    Step.STAY: "1. Stay with the patient",
    Step.MEANS: "2. Means restriction",
    Step.EVALUATION: "3. Clinician evaluation (C-SSRS)",
    Step.DISPOSITION: "4. Disposition",
    Step.CONTACT: "5. Contacts made",
}


def _crisis(patient: Patient, crisis_id: int) -> CrisisRecord:
    crisis = (
        CrisisRecord.objects.filter(patient=patient, pk=crisis_id)
        .select_related("flag", "opened_by", "closed_by")
        .first()
    )
    if crisis is None:
        raise Http404("No such crisis record on this chart.")
    crisis.patient = patient
    return crisis


def _to(crisis: CrisisRecord, anchor: str = "") -> HttpResponse:
    url = reverse("crisis:crisis", args=[crisis.patient_id, crisis.pk])
    return HttpResponseRedirect(url + (f"#{anchor}" if anchor else ""))


def _can(request: HttpRequest) -> dict[str, bool]:
    membership = getattr(request, "membership", None)
    return {
        "record": has_perm(membership, Perm.CRISIS_RECORD),
        "clear": has_perm(membership, Perm.DOSING_BLOCK_CLEAR),
        "plan": has_perm(membership, Perm.SAFETY_PLAN_EDIT),
    }


def _page(
    request: HttpRequest,
    crisis: CrisisRecord,
    status: int = 200,
    error: str = "",
    error_field: str = "",
    error_kind: str = "",
    **bound: Any,
) -> HttpResponse:
    # Every render shows the whole record, a refused step's or close-out's too: each is a read
    # of the chart, audited as one (style.md §4).
    audit(
        request,
        "safety.crisis.viewed",
        object_type="crisis_record",
        object_id=crisis.pk,
        patient_id=crisis.patient_id,
        detail={"refused": error_kind} if status >= 400 else None,
    )
    steps = list(crisis.steps.select_related("author", "assessment"))
    latest = {s.kind: s for s in steps}
    # Only the screens the evaluation step accepts (actions._cssrs): done for this crisis.
    opened = crisis.opened_at.replace(second=0, microsecond=0)
    flags = list(
        RiskFlag.objects.filter(pk__in=actions.crisis_flag_ids(crisis)).order_by("raised_at", "pk")
    )
    triggers = [f.assessment_id for f in flags if f.assessment_id is not None]
    cssrs = list(
        Assessment.objects.filter(
            Q(administered_at__gte=opened) | Q(pk__in=triggers),
            patient=crisis.patient,
            scale_code=actions.CSSRS_CODE,
            complete=True,
        )
        .exclude(status=AssessmentStatus.ENTERED_IN_ERROR)
        .order_by("-administered_at")[:10]
    )
    sections = [
        {
            "kind": kind.value,
            "title": title,
            "rows": [s for s in steps if s.kind == kind],
            "done": kind in latest,
            "required": kind in REQUIRED_BEFORE_CLOSE,
            "form": bound.get(f"step_{kind.value}") or StepForm(prefix=kind.value),
        }
        for kind, title in STEP_TITLES.items()
    ]
    blocks = list(DosingBlock.objects.filter(crisis=crisis).select_related("cleared_by"))
    context = {
        "patient": crisis.patient,
        "crisis": crisis,
        "joined_flags": [f for f in flags if f.pk != crisis.flag_id],
        "sections": sections,
        "closing": [s for s in steps if s.kind == Step.CLOSE],
        "addenda": [s for s in steps if s.kind == Step.ADDENDUM],
        "cssrs": cssrs,
        "blocks": blocks,
        "unevaluated_block_ids": unevaluated_block_ids(blocks),
        "active_block_ids": {b.pk for b in active_blocks(crisis.patient)},
        "close_form": bound.get("close") or CloseForm(),
        "addendum_form": bound.get("addendum") or AddendumForm(),
        "clear_form": bound.get("clear") or ClearBlockForm(),
        "can": _can(request),
        "is_open": crisis.status == CrisisStatus.OPEN,
        "error": error,
        "error_field": error_field,
        "error_kind": error_kind,
    }
    return render(request, "safety/crisis.html", context, status=status)


@staff_view()
def overview(request: HttpRequest, patient_id: str) -> HttpResponse:
    """The patient's crisis records, dosing blocks and safety plan, in one place."""
    from ketacare.safety.plan_actions import current_plan

    patient = access_patient(request, patient_id, Perm.PATIENT_VIEW)
    audit(
        request,
        "safety.overview.viewed",
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
    )
    records = list(patient.crisis_records.select_related("flag", "opened_by"))
    blocks = list(patient.dosing_blocks.select_related("cleared_by", "crisis")[:20])
    context = {
        "patient": patient,
        "records": records,
        # Oldest open first (the one a new high flag joins): one open record per patient.
        "open_record": min(
            (r for r in records if r.status == CrisisStatus.OPEN),
            key=lambda r: (r.opened_at, r.pk),
            default=None,
        ),
        "blocks": blocks,
        "unevaluated_block_ids": unevaluated_block_ids(blocks),
        "active_block_ids": {b.pk for b in active_blocks(patient)},
        "plan": current_plan(patient),
        "open_form": OpenCrisisForm(),
        "clear_form": ClearBlockForm(),
        "can": _can(request),
    }
    return render(request, "safety/overview.html", context)


@staff_view()
def timeline(request: HttpRequest, patient_id: str) -> HttpResponse:
    """The patient's whole risk timeline (the chart's section shows the newest entries)."""
    from ketacare.safety.timeline import risk_timeline

    patient = access_patient(request, patient_id, Perm.PATIENT_VIEW)
    entries = risk_timeline(patient)
    audit(
        request,
        "safety.timeline.viewed",
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        detail={"entries": len(entries)},
    )
    return render(request, "safety/timeline.html", {"patient": patient, "entries": entries})


@staff_view()
@require_POST
def open_crisis(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.CRISIS_RECORD)
    form = OpenCrisisForm(request.POST)
    reason = form.data.get("reason", "")
    try:
        crisis = actions.do_open_crisis(actor_from_request(request), patient, str(reason))
    except ActionError as exc:
        open_one = getattr(exc, "crisis", None)
        return render(
            request,
            "safety/refused.html",
            {
                "patient": patient,
                "message": exc.message,
                "field": exc.field,
                "open_crisis": open_one,
                "typed": str(reason).strip(),  # nothing typed is lost
            },
            status=400,
        )
    return _to(crisis)


@staff_view()
def crisis_detail(request: HttpRequest, patient_id: str, crisis_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.PATIENT_VIEW)
    return _page(request, _crisis(patient, crisis_id))


@staff_view()
@require_POST
def record_step(request: HttpRequest, patient_id: str, crisis_id: int, kind: str) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.CRISIS_RECORD)
    crisis = _crisis(patient, crisis_id)
    if kind not in actions.WORKFLOW_STEPS:
        raise Http404("No such step.")
    form = StepForm(request.POST, prefix=kind)
    if not form.is_valid():
        field = next(iter(form.errors))
        # The summary at the top names the field by its label; the message is under the field.
        summary = labelled(form, f"{field}: {form.errors[field][0]}")
        return _page(request, crisis, 400, summary, field, kind, **{f"step_{kind}": form})
    try:
        actions.do_record_step(actor_from_request(request), crisis, kind, form.cleaned_data)
    except ActionError as exc:
        crisis = _crisis(patient, crisis_id)  # re-read: someone may have closed it meanwhile
        if crisis.status == CrisisStatus.CLOSED:
            # The step form is gone from a closed record: what was typed becomes the draft of
            # an addendum instead of being lost.
            draft = AddendumForm(initial={"note": _as_addendum(kind, form.cleaned_data)})
            return _page(request, crisis, 400, exc.message, "kind", "addendum", addendum=draft)
        add_refusal(form, exc.field, exc.message)  # under its field, once, without the code name
        summary = labelled(form, exc.message)
        return _page(request, crisis, 400, summary, exc.field, kind, **{f"step_{kind}": form})
    return _to(crisis, kind)


def _as_addendum(kind: str, data: dict[str, Any]) -> str:
    parts = [STEP_TITLES[Step(kind)].split(". ", 1)[-1]]
    for name in ("who", "method", "disposition", "note"):
        if data.get(name):
            parts.append(str(data[name]))
    if data.get("occurred_at"):
        parts.append(f"at {data['occurred_at']:%Y-%m-%d %H:%M}")
    return " — ".join(parts)


@staff_view()
@require_POST
def close(request: HttpRequest, patient_id: str, crisis_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.CRISIS_RECORD)
    crisis = _crisis(patient, crisis_id)
    form = CloseForm(request.POST)
    try:
        actions.do_close_crisis(actor_from_request(request), crisis, form.data.get("summary", ""))
    except ActionError as exc:
        return _page(request, crisis, 400, exc.message, exc.field, "close", close=form)
    return _to(crisis, "close")


@staff_view()
@require_POST
def addendum(request: HttpRequest, patient_id: str, crisis_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.CRISIS_RECORD)
    crisis = _crisis(patient, crisis_id)
    form = AddendumForm(request.POST)
    try:
        actions.do_add_addendum(actor_from_request(request), crisis, form.data.get("note", ""))
    except ActionError as exc:
        return _page(request, crisis, 400, exc.message, exc.field, "addendum", addendum=form)
    return _to(crisis, "addenda")


@staff_view()
@require_POST
def clear_block(request: HttpRequest, patient_id: str, block_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.DOSING_BLOCK_CLEAR)
    block = DosingBlock.objects.filter(patient=patient, pk=block_id).first()
    if block is None:
        raise Http404("No such dosing block on this chart.")
    form = ClearBlockForm(request.POST)
    try:
        actions.do_clear_dosing_block(
            actor_from_request(request), block, str(form.data.get("reason", ""))
        )
    except ActionError as exc:
        context = {
            "patient": patient,
            "message": exc.message,
            "field": exc.field,
            "typed": str(form.data.get("reason", "")).strip(),  # nothing typed is lost
        }
        return render(request, "safety/refused.html", context, status=400)
    if block.crisis_id:
        return HttpResponseRedirect(
            reverse("crisis:crisis", args=[patient.pk, block.crisis_id]) + "#blocks"
        )
    return HttpResponseRedirect(reverse("crisis:overview", args=[patient.pk]) + "#blocks")
