"""Portal: questionnaires due now (same scoring and actions as staff entry and /r/ links)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketacare.accounts.actions import ActionError
from ketacare.clinical import scales
from ketacare.measures import selfreport_actions as sr
from ketacare.measures.models import Assessment, SelfReportLink
from ketacare.measures.selfreport_closed import (
    CLOSED_TOLD,
    care_team_told,
    do_answers_on_closed_link,
    meta,
)
from ketacare.measures.selfreport_forms import (
    DEFAULT_STEM,
    STEMS,
    AnswersForm,
    patient_problem,
    rows_for,
)
from ketacare.portal import questionnaires as q
from ketacare.portal.access import (
    PortalRequest,
    client_ip,
    portal_audit,
    portal_patient_required,
)

MISSING = "Please answer this question."


def _own_link_from_query(request: PortalRequest, key: str) -> SelfReportLink | None:
    value = request.GET.get(key, "")
    # A link id from our own redirect; anything else (text, a number past the column) is none.
    return q.own_link(request.patient, int(value)) if value.isdigit() and len(value) < 10 else None


@portal_patient_required
@require_GET
def questionnaire_list(request: PortalRequest) -> HttpResponse:
    patient = request.patient
    links = q.open_links(patient)
    due = q.due_codes(patient)
    done_link = _own_link_from_query(request, "done")
    if done_link is not None and done_link.completed_at is None:
        done_link = None  # never "sent" for answers that were not
    closed_link = _own_link_from_query(request, "closed")
    if closed_link is not None and closed_link.completed_at is not None:
        closed_link = None
    open_link = links[0] if links else None
    # As on a /r/ link, once a risk answer is on a questionnaire (sent, only saved for later,
    # or posted after it closed) every page about it shows the full crisis panel.
    show_crisis = any(
        sr.crisis_shown(link) for link in (done_link, closed_link, *links) if link is not None
    )
    return render(
        request,
        "portal/questionnaires.html",
        {
            "due_names": q.scale_names(due),
            "open_link": open_link,
            "done_link": done_link,
            "closed_link": closed_link,
            "closed_crisis": closed_link is not None and sr.crisis_shown(closed_link),
            "show_crisis": show_crisis,
            # "Someone will contact you" only when a flag from the answers stands.
            "done_told": done_link is not None and show_crisis and care_team_told(done_link),
            # Answers posted from an old tab after this one was sent: not stored.
            "done_late": done_link is not None and CLOSED_TOLD in meta(done_link),
            "closed_told": closed_link is not None and care_team_told(closed_link),
        },
    )


@portal_patient_required
@require_POST
def start(request: PortalRequest) -> HttpResponse:
    try:
        link = q.do_start(request.portal_actor, request.patient)
    except ActionError as problem:
        messages.info(request, problem.message)
        return redirect("portal:questionnaires")
    return redirect("portal:questionnaire_fill", link_id=link.pk)


def _page(
    request: PortalRequest,
    link: SelfReportLink,
    code: str,
    *,
    form: AnswersForm | None = None,
    extra_errors: dict[str, str] | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    scale = scales.get_scale(code)
    rows = rows_for(scale, sr.draft_answers(link, code), form, extra_errors)
    position = link.scale_codes.index(code) + 1
    return render(
        request,
        "portal/questionnaire_fill.html",
        {
            "link": link,
            "scale": scale,
            "stem": STEMS.get(code, DEFAULT_STEM),
            "rows": rows,
            "error_rows": [r for r in rows if r.errors],
            "problem": problem,
            "position": position,
            "count": len(link.scale_codes),
            "is_last": position == len(link.scale_codes),
            "show_crisis": sr.crisis_shown(link),
        },
        status=status,
    )


@portal_patient_required
@require_http_methods(["GET", "POST"])
def fill(request: PortalRequest, link_id: int) -> HttpResponse:
    link = q.own_link(request.patient, link_id)
    if link is None:
        portal_audit(
            request,
            "portal.access.refused",
            outcome="denied",
            object_type="self_report_link",
            object_id=link_id,
        )
        raise Http404("No such questionnaire.")
    ip = client_ip(request)
    code = sr.current_scale(link) if sr.usable_now(link) else None
    if request.method == "POST" and request.POST.get("scale") != code:
        # A page of a questionnaire this link has sent, or of a link that has closed: the
        # answers are not stored, but a risk answer among them reaches the care team.
        _closed_link_answers(request, link, ip)
    if code is None:
        # "Thank you, sent" only when it was; a link that closed unsent says so.
        outcome = "done" if link.completed_at else "closed"
        return redirect(f"{_list_url()}?{outcome}={link.pk}")
    if request.method == "GET":
        sr.do_open_link(link, ip)
        return _page(request, link, code)
    if request.POST.get("scale") != code:
        return redirect("portal:questionnaire_fill", link_id=link.pk)
    form = AnswersForm(scales.get_scale(code), request.POST)
    valid = form.is_valid()
    answers = form.posted_answers()
    try:
        if not valid or request.POST.get("action") == "save":
            sr.do_save_draft(link, code, answers, ip)
            if not valid:
                return _page(request, link, code, form=form, status=400)
            messages.success(request, "Saved. You can finish later from this page.")
            return redirect("portal:questionnaires")
        result = sr.do_submit_scale(link, code, answers, ip)
    except sr.MissingAnswers as missing:
        errors = dict.fromkeys(missing.items, MISSING)
        return _page(request, link, code, form=form, extra_errors=errors, status=400)
    except ActionError as problem:
        return _page(
            request,
            link,
            code,
            form=form,
            problem=patient_problem(problem.field, problem.message),
            status=400,
        )
    if result.completed:
        return redirect(f"{_list_url()}?done={link.pk}")
    return redirect("portal:questionnaire_fill", link_id=link.pk)


def _closed_link_answers(request: PortalRequest, link: SelfReportLink, ip: str) -> None:
    posted = str(request.POST.get("scale", ""))
    if posted in link.scale_codes:
        form = AnswersForm(scales.get_scale(posted), request.POST)
        form.is_valid()
        do_answers_on_closed_link(link, posted, form.posted_answers(), ip)


def _list_url() -> str:
    from django.urls import reverse

    return reverse("portal:questionnaires")


def submitted_assessments(link: SelfReportLink) -> list[Assessment]:
    ids = list(sr.submitted(link).values())
    return list(Assessment.objects.filter(pk__in=ids, patient_id=link.patient_id))
