"""Staff inbox of patient messages (clinic-scoped): assignment, read status, replies."""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from ketacare.accounts.access import staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Outcome, actor_from_request, audit
from ketacare.accounts.models import User
from ketacare.accounts.permissions import Perm
from ketacare.accounts.request import ClinicRequest
from ketacare.core import submission
from ketacare.core.form_errors import labelled
from ketacare.core.submission import AlreadySaved, already_saved
from ketacare.portal import messaging
from ketacare.portal.models import MessageThread, ThreadStatus

# The page's words for the inputs an action may refuse ("body: …" reads "Reply to the patient: …").
LABELS = {
    "body": "Reply to the patient",
    "assigned_to": "Assigned to",
    "action": "What to do",
    "status": "Conversation",
}
FILTERS = {
    "open": "Open",
    "mine": "Assigned to me",
    "unassigned": "Unassigned",
    "unread": "Unread",
    "closed": "Closed",
}


@staff_view(Perm.PATIENT_VIEW)
@require_GET
def inbox(request: ClinicRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    if show not in FILTERS:
        show = "open"
    threads = messaging.inbox(request.clinic)
    if show == "closed":
        threads = threads.filter(status=ThreadStatus.CLOSED)
    else:
        threads = threads.filter(status=ThreadStatus.OPEN)
    if show == "mine":
        threads = threads.filter(assigned_to=request.user)
    elif show == "unassigned":
        threads = threads.filter(assigned_to__isnull=True)
    elif show == "unread":
        threads = threads.filter(unread__gt=0)  # type: ignore[misc]  # annotated
    audit(request, "portal.inbox.viewed", detail={"show": show})
    return render(
        request,
        "portal_staff/inbox.html",
        {"threads": threads[:200], "show": show, "filters": FILTERS},
    )


def _thread(request: ClinicRequest, thread_id: int) -> MessageThread:
    thread = (
        MessageThread.objects.select_related("patient", "assigned_to")
        .filter(pk=thread_id, clinic=request.clinic)
        .first()
    )
    if thread is None:
        audit(
            request,
            "patients.access.refused",
            outcome=Outcome.DENIED,
            object_type="message_thread",
            object_id=str(thread_id),
            detail={"path": request.path},
        )
        raise Http404("No such conversation.")
    return thread


@staff_view(Perm.PATIENT_VIEW)
@require_http_methods(["GET", "POST"])
def thread_detail(request: ClinicRequest, thread_id: int) -> HttpResponse:
    thread = _thread(request, thread_id)
    actor = actor_from_request(request)
    here = reverse("portal_inbox:thread", args=[thread.pk])
    error = ""
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "reply":
                where = submission.scope(messaging.ONCE_STAFF_REPLY, thread.pk)
                once, first = submission.page_key(request, where)
                if first:
                    return already_saved(request, here)
                try:
                    messaging.do_staff_reply(
                        actor, request.user, thread, request.POST.get("body", ""), once=once
                    )
                except AlreadySaved:
                    return already_saved(request, here)
                flash.success(request, "Reply sent.")
            elif action == "assign":
                raw = request.POST.get("assigned_to", "")
                assignee = None
                if raw:
                    assignee = User.objects.filter(
                        pk=int(raw) if raw.isdigit() else 0,
                        memberships__clinic=request.clinic,
                        memberships__is_active=True,
                    ).first()
                    if assignee is None:
                        raise ActionError("assigned_to", "Choose someone who works at this clinic.")
                messaging.do_assign(actor, thread, assignee)
                flash.success(request, "Assignment saved.")
            elif action in ("close", "reopen"):
                messaging.do_set_status(
                    actor, thread, ThreadStatus.CLOSED if action == "close" else ThreadStatus.OPEN
                )
            else:
                raise ActionError("action", "Choose reply, assign, close or reopen.")
        except ActionError as problem:
            error = labelled(LABELS, f"{problem.field}: {problem.message}")
            status = 400
        else:
            return redirect("portal_inbox:thread", thread_id=thread.pk)
    else:
        messaging.do_mark_read_by_staff(actor, request.user, thread)
    staff = User.objects.filter(
        memberships__clinic=request.clinic, memberships__is_active=True
    ).order_by("full_name")
    return render(
        request,
        "portal_staff/thread.html",
        {
            "thread": thread,
            "messages_list": thread.messages.select_related("sender", "read_by", "flag"),
            "staff": staff,
            "error": error,
            "body": request.POST.get("body", "") if error else "",
        },
        status=status,
    )
