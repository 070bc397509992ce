"""Staff pages for consultation requests: the queue, a request with its contact attempts and
status history, status changes, and "Convert to patient" (the registration form, prefilled)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, Max, Q, Value, When
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ketacare.accounts.access import require, staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import actor_from_request, audit
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.accounts.request import ClinicRequest
from ketacare.core.form_errors import labelled
from ketacare.intake import actions
from ketacare.intake.access import access_request, clinic_requests
from ketacare.intake.forms import ContactAttemptForm, ConvertForm, StatusForm
from ketacare.intake.models import OPEN_STATUSES, ConsultationRequest, RequestStatus
from ketacare.intake.wording import contact_consent_text
from ketacare.patients.access import access_patient
from ketacare.patients.forms import PatientForm

PAGE_SIZE = 25
# The acknowledgement email says "usually within two business days"; a new request older
# than this is marked in the queue.
FIRST_ANSWER_WITHIN = timedelta(days=2)
OPEN = "open"
ALL = "all"


STATUS_LABELS = {"status": "Move to", "reason": "Reason"}


def _filter_choice(value: str | None) -> str:
    if value in RequestStatus.values or value == ALL:
        return str(value)
    return OPEN


@staff_view(Perm.INTAKE_QUEUE)
def queue(request: ClinicRequest) -> HttpResponse:
    shown = _filter_choice(request.GET.get("status"))
    requests = clinic_requests(request.clinic)
    counts = dict(
        requests.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    if shown == OPEN:
        requests = requests.filter(status__in=OPEN_STATUSES)
    elif shown != ALL:
        requests = requests.filter(status=shown)
    # Open requests: new ones first (they wait for a first answer), then contacted, then booked;
    # oldest first within each, so no one waits longest.
    stage = Case(
        *[When(status=s, then=Value(n)) for n, s in enumerate(OPEN_STATUSES)],
        default=Value(len(OPEN_STATUSES)),
        output_field=IntegerField(),
    )
    # Open requests whose words suggest suicide or self-harm (clinical.risk_words) come first.
    urgent = Case(
        When(Q(status__in=OPEN_STATUSES) & ~Q(risk_phrases=[]), then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    requests = requests.annotate(
        attempt_count=Count("attempts"),
        last_attempt_at=Max("attempts__at"),
        stage=stage,
        urgent=urgent,
    ).order_by("urgent", "stage", "submitted_at", "pk")
    page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    tabs = [
        (OPEN, "Open", sum(counts.get(s, 0) for s in OPEN_STATUSES)),
        *[(value, label, counts.get(value, 0)) for value, label in RequestStatus.choices],
        (ALL, "All", sum(counts.values())),
    ]
    audit(
        request,
        "intake.queue.viewed",
        detail={"status": shown, "page": page.number, "results": page.paginator.count},
    )
    return render(
        request,
        "intake/queue.html",
        {
            "page": page,
            "shown": shown,
            "tabs": tabs,
            "can_newsletter": has_perm(request.membership, Perm.NEWSLETTER_MANAGE),
            "waiting_since": timezone.now() - FIRST_ANSWER_WITHIN,
            "public_url": request.build_absolute_uri(
                reverse("intake_public:consultation", kwargs={"clinic_slug": request.clinic.slug})
            ),
        },
    )


def _detail(
    request: ClinicRequest,
    consultation: ConsultationRequest,
    *,
    attempt_form: ContactAttemptForm | None = None,
    status_form: StatusForm | None = None,
    status_errors: list[tuple[str, str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    contacts = Q()
    if consultation.email:
        contacts |= Q(email__iexact=consultation.email)
    if consultation.phone:
        contacts |= Q(phone=consultation.phone)
    related = (
        clinic_requests(request.clinic).filter(contacts).exclude(pk=consultation.pk)
        if contacts
        else ConsultationRequest.objects.none()
    )
    can_create = has_perm(request.membership, Perm.PATIENT_CREATE)
    return render(
        request,
        "intake/detail.html",
        {
            "consultation": consultation,
            "open_statuses": [str(s) for s in OPEN_STATUSES],
            "attempts": consultation.attempts.select_related("by"),
            "changes": consultation.status_changes.select_related("by"),
            "attempt_form": attempt_form or ContactAttemptForm(),
            "status_form": status_form,
            "status_errors": status_errors or [],
            "status_error_fields": {field for field, _ in status_errors or []},
            "next_statuses": [
                (s, RequestStatus(s).label) for s in actions.allowed_next(consultation.status)
            ],
            "reason_required_to": [str(s) for s in actions.REASON_REQUIRED_TO],
            "reopening": consultation.status in actions.REASON_REQUIRED_FROM,
            "conversion_problem": actions.conversion_problem(consultation),
            "can_create_patient": can_create,
            "related": related.order_by("-submitted_at")[:10],
            "consent_text": contact_consent_text(
                consultation.clinic.name, consultation.consent_text_version
            ),
        },
        status=status,
    )


@staff_view(Perm.INTAKE_QUEUE)
def detail(request: ClinicRequest, request_id: int) -> HttpResponse:
    consultation = access_request(request, request_id)
    audit(
        request,
        "intake.request.viewed",
        object_type="consultation_request",
        object_id=consultation.pk,
    )
    return _detail(request, consultation)


def _back(consultation: ConsultationRequest, anchor: str = "") -> HttpResponse:
    url = reverse("intake:detail", kwargs={"request_id": consultation.pk})
    return HttpResponseRedirect(f"{url}#{anchor}" if anchor else url)


@staff_view(Perm.INTAKE_QUEUE)
@require_POST
def record_attempt(request: ClinicRequest, request_id: int) -> HttpResponse:
    consultation = access_request(request, request_id)
    form = ContactAttemptForm(request.POST, consultation=consultation)
    if not form.is_valid():
        return _detail(request, consultation, attempt_form=form, status=400)
    try:
        attempt = actions.do_record_attempt(
            actor_from_request(request), consultation, form.cleaned_data
        )
    except ActionError as problem:
        form.add_error(problem.field if problem.field in form.fields else None, problem.message)
        return _detail(request, consultation, attempt_form=form, status=400)
    note = " The request is now “Contacted”." if consultation.status == "contacted" else ""
    messages.success(request, f"Recorded: {attempt}.{note}")
    return _back(consultation, "attempts")


@staff_view(Perm.INTAKE_QUEUE)
@require_POST
def set_status(request: ClinicRequest, request_id: int) -> HttpResponse:
    consultation = access_request(request, request_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        # Every problem at once, each named as the page labels it.
        return _detail(
            request,
            consultation,
            status_form=form,
            status_errors=[
                (field, labelled(STATUS_LABELS, f"{field}: {message}"))
                for field, errors in form.errors.items()
                for message in errors
            ],
            status=400,
        )
    try:
        actions.do_set_status(
            actor_from_request(request),
            consultation,
            form.cleaned_data["status"],
            form.cleaned_data["reason"],
            expected_from=request.POST.get("from_status") or None,
        )
    except ActionError as problem:
        consultation.refresh_from_db()
        return _detail(
            request,
            consultation,
            status_form=form,
            status_errors=[(problem.field, problem.message)],
            status=400,
        )
    messages.success(request, f"Status changed to “{consultation.get_status_display()}”.")
    return _back(consultation, "status")


def prefill(consultation: ConsultationRequest) -> dict[str, Any]:
    """What the registration form starts with: everything the request already told us."""
    return {
        "legal_given_name": consultation.given_name,
        "legal_family_name": consultation.family_name,
        "phone": consultation.phone,
        "email": consultation.email,
        "preferred_contact": consultation.preferred_contact,
    }


def _possible_matches(request: ClinicRequest, consultation: ConsultationRequest) -> Any:
    """Patients of this clinic with the same email or phone: perhaps already registered."""
    contacts = Q()
    if consultation.email:
        contacts |= Q(email__iexact=consultation.email)
    if consultation.phone:
        contacts |= Q(phone=consultation.phone)
    if not contacts:
        return []
    return request.clinic.patients.filter(contacts)[:5]


@staff_view(Perm.INTAKE_QUEUE)
@require_http_methods(["GET", "POST"])
def convert(request: ClinicRequest, request_id: int) -> HttpResponse:
    consultation = access_request(request, request_id)
    require(request, Perm.PATIENT_CREATE)
    problem = actions.conversion_problem(consultation)
    if problem:
        messages.error(request, problem)
        return _back(consultation, "status")
    if request.method == "GET":
        form = ConvertForm(initial=prefill(consultation))
        audit(
            request,
            "intake.request.convert_form_viewed",
            object_type="consultation_request",
            object_id=consultation.pk,
        )
    else:
        # With the clinic: a patient of the same legal name and birth date is asked about.
        form = ConvertForm(request.POST, clinic=request.clinic)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in PatientForm.Meta.fields}
            try:
                patient = actions.do_convert_request(
                    actor_from_request(request), consultation, data
                )
            except ActionError as refused:
                messages.error(request, refused.message)
                return _back(consultation, "status")
            messages.success(
                request,
                f"Registered {patient.display_name} as {patient.mrn}; the consultation request "
                "is marked converted.",
            )
            return redirect("patients:chart", patient_id=patient.pk)
    return render(
        request,
        "intake/convert.html",
        {
            "consultation": consultation,
            "form": form,
            "matches": _possible_matches(request, consultation),
        },
        status=400 if request.method == "POST" else 200,
    )


@staff_view(Perm.INTAKE_QUEUE)
@require_POST
def link(request: ClinicRequest, request_id: int) -> HttpResponse:
    """The person is already a patient: close the request pointing at their chart, offered
    on "Convert to patient" beside a matching patient. The same people as converting."""
    consultation = access_request(request, request_id)
    require(request, Perm.PATIENT_CREATE)
    patient = access_patient(request, request.POST.get("patient", ""))
    try:
        actions.do_link_request(actor_from_request(request), consultation, patient)
    except ActionError as refused:
        messages.error(request, refused.message)
        return _back(consultation, "status")
    messages.success(
        request,
        f"Request #{consultation.pk} is linked to {patient.display_name} ({patient.mrn}) and "
        "marked converted; no new patient was registered.",
    )
    return redirect("patients:chart", patient_id=patient.pk)
