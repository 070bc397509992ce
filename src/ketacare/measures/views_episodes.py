"""Episodes of care on the chart: list them with their course, open one, close one.

An episode is what response and remission are measured against (its baseline on its primary
scale), so opening and closing one is the prescriber's call (`measures.manage_episodes`).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from ketacare.accounts.access import staff_view
from ketacare.accounts.audit import actor_from_request, audit
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.accounts.request import ClinicRequest
from ketacare.measures import actions
from ketacare.measures.course import courses_for, load_scores
from ketacare.measures.forms import CloseEpisodeForm, EpisodeForm
from ketacare.measures.models import EpisodeOfCare, EpisodeStatus
from ketacare.measures.response_settings import response_rules_for
from ketacare.patients.access import access_patient
from ketacare.patients.models import Patient


def _page(
    request: ClinicRequest,
    patient: Patient,
    form: EpisodeForm,
    *,
    close_errors: dict[int, CloseEpisodeForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    episodes = list(
        EpisodeOfCare.objects.filter(patient=patient).select_related("diagnosis", "created_by")
    )
    scores = load_scores(patient, {e.primary_scale for e in episodes})
    rules = response_rules_for(patient.clinic_id)
    courses = courses_for(episodes, scores, rules)
    close_errors = close_errors or {}
    rows = [
        (course, close_errors.get(course.episode.pk) or CloseEpisodeForm(episode=course.episode))
        for course in courses
    ]
    return render(
        request,
        "measures/episodes.html",
        {
            "patient": patient,
            "rows": rows,
            "form": form,
            "can_manage": has_perm(request.membership, Perm.EPISODE_MANAGE),
            "lookback_days": rules.baseline_lookback_days,
        },
        status=status,
    )


@staff_view(Perm.PATIENT_VIEW)
@require_http_methods(["GET", "POST"])
def episodes(request: ClinicRequest, patient_id: str) -> HttpResponse:
    if request.method == "GET":
        patient = access_patient(request, patient_id)
        audit(
            request,
            "measures.episodes.viewed",
            object_type="patient",
            object_id=patient.pk,
            patient_id=patient.pk,
        )
        return _page(request, patient, EpisodeForm(patient=patient))
    patient = access_patient(request, patient_id, Perm.EPISODE_MANAGE)
    form = EpisodeForm(request.POST, patient=patient)
    if not form.is_valid():
        return _page(request, patient, form, status=400)
    episode = actions.do_open_episode(
        actor_from_request(request),
        patient,
        {
            "title": form.cleaned_data["title"],
            "diagnosis": form.cleaned_data["diagnosis"],
            "primary_scale": form.cleaned_data["primary_scale"],
            "started_on": form.cleaned_data["started_on"],
        },
    )
    messages.success(request, f"Opened episode “{episode.title}”.")
    return HttpResponseRedirect(reverse("patients:chart", args=[patient.pk]) + "#assessments")


@staff_view(Perm.PATIENT_VIEW)
@require_POST
def episode_close(request: ClinicRequest, patient_id: str, episode_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.EPISODE_MANAGE)
    episode = get_object_or_404(EpisodeOfCare.objects.filter(patient=patient), pk=episode_id)
    back = reverse("measures:episodes", args=[patient.pk])
    if episode.status == EpisodeStatus.CLOSED:
        messages.info(request, f"“{episode.title}” was already closed.")
        return HttpResponseRedirect(back)
    form = CloseEpisodeForm(request.POST, episode=episode)
    if not form.is_valid():
        return _page(
            request,
            patient,
            EpisodeForm(patient=patient),
            close_errors={episode.pk: form},
            status=400,
        )
    actions.do_close_episode(actor_from_request(request), episode, form.cleaned_data["ended_on"])
    messages.success(request, f"Closed episode “{episode.title}”.")
    return HttpResponseRedirect(back)
