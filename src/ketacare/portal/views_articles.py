"""Education articles: the staff editor (/articles/) and the patient's reading pages."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketacare.accounts.access import staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import actor_from_request
from ketacare.accounts.permissions import Perm
from ketacare.accounts.request import ClinicRequest
from ketacare.core import submission
from ketacare.core.submission import AlreadySaved, already_saved
from ketacare.portal import articles
from ketacare.portal.access import PortalRequest, portal_patient_required
from ketacare.portal.models import Article, Stage

EDIT_PERM = Perm.CLINIC_SETTINGS
# The editor's labels, so a refusal reads "Title: …", not "title: …".
LABELS = {
    "title": "Title",
    "summary": "Summary",
    "body": "Text",
    "conditions": "Conditions",
    "stages": "Stages",
}


@staff_view(EDIT_PERM)
@require_GET
def staff_list(request: ClinicRequest) -> HttpResponse:
    rows = Article.objects.filter(clinic=request.clinic)
    return render(request, "portal_staff/articles.html", {"articles": rows})


def _staff_article(request: ClinicRequest, article_id: int) -> Article:
    article = Article.objects.filter(pk=article_id, clinic=request.clinic).first()
    if article is None:
        raise Http404("No such article.")
    return article


@staff_view(EDIT_PERM)
@require_http_methods(["GET", "POST"])
def edit(request: ClinicRequest, article_id: int | None = None) -> HttpResponse:
    article = _staff_article(request, article_id) if article_id is not None else None
    errors: dict[str, str] = {}
    once = ""
    if request.method == "POST" and article is None:
        once, first = submission.page_key(
            request, submission.scope(articles.ONCE_ARTICLE, request.clinic.pk)
        )
        if first:
            return already_saved(request, reverse("portal_articles:edit", args=[first]))
    if request.method == "POST":
        data: dict[str, object] = {
            "title": request.POST.get("title", ""),
            "summary": request.POST.get("summary", ""),
            "body": request.POST.get("body", ""),
            "conditions": request.POST.get("conditions", ""),
            "stages": request.POST.getlist("stages"),
        }
        values = data
        # Every problem at once (the action alone stops at the first).
        problems = articles.article_problems(data)
        if not problems:
            try:
                saved = articles.do_save_article(
                    actor_from_request(request),
                    request.user,
                    request.clinic,
                    article,
                    data,
                    once=once,
                )
            except AlreadySaved as first_saved:
                return already_saved(
                    request, reverse("portal_articles:edit", args=[first_saved.object_id])
                )
            except ActionError as problem:
                problems = [(problem.field, problem.message)]
            else:
                messages.success(request, "Article saved.")
                return redirect("portal_articles:edit", article_id=saved.pk)
        for field, message in problems:
            errors.setdefault(LABELS.get(field, field), message)
    else:
        values = {
            "title": article.title if article else "",
            "summary": article.summary if article else "",
            "body": article.body if article else "",
            "conditions": ", ".join(article.conditions) if article else "",
            "stages": article.stages if article else [],
        }
    return render(
        request,
        "portal_staff/article_edit.html",
        {
            "article": article,
            "values": values,
            "errors": errors,
            "stage_choices": Stage.choices,
            "preview": articles.render_body(str(values["body"])),
        },
        status=400 if errors else 200,
    )


@staff_view(EDIT_PERM)
@require_POST
def publish(request: ClinicRequest, article_id: int) -> HttpResponse:
    article = _staff_article(request, article_id)
    on = request.POST.get("published") == "1"
    articles.do_set_published(actor_from_request(request), article, on)
    messages.success(request, "Published." if on else "Unpublished.")
    return redirect("portal_articles:list")


@portal_patient_required
@require_GET
def patient_list(request: PortalRequest) -> HttpResponse:
    suggested = articles.suggested(request.patient)
    others = [a for a in articles.published(request.portal_clinic) if a not in suggested]
    return render(request, "portal/articles.html", {"suggested": suggested, "others": others})


@portal_patient_required
@require_GET
def patient_article(request: PortalRequest, article_id: int) -> HttpResponse:
    article = articles.published(request.portal_clinic).filter(pk=article_id).first()
    if article is None:
        raise Http404("No such article.")
    return render(
        request,
        "portal/article.html",
        {"article": article, "body": articles.render_body(article.body)},
    )
