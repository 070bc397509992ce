"""Portal: the patient's conversations with the care team."""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from ketacare.accounts.actions import ActionError
from ketacare.core import submission
from ketacare.core.submission import AlreadySaved, already_saved
from ketacare.portal import messaging
from ketacare.portal.access import PortalRequest, portal_audit, portal_patient_required
from ketacare.portal.models import Message, MessageThread

CRISIS_SESSION_KEY = "kc_portal_crisis"


def _sent_before(request: PortalRequest, thread_id: int, flagged: bool) -> HttpResponse:
    """Send pressed twice: to the conversation the first press wrote to, saying so; with the
    crisis resources again when that message raised a flag (the page that follows the first
    press may never be shown)."""
    if flagged:
        request.session[CRISIS_SESSION_KEY] = thread_id
    return already_saved(request, reverse("portal:thread", args=[thread_id]))


def _thread_flagged(request: PortalRequest, thread_id: int) -> bool:
    return Message.objects.filter(
        thread_id=thread_id, thread__patient=request.patient, flag__isnull=False
    ).exists()


@portal_patient_required
@require_http_methods(["GET", "POST"])
def thread_list(request: PortalRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    subject = request.POST.get("subject", "")
    body = request.POST.get("body", "")
    once = ""
    if request.method == "POST":
        once, first = submission.page_key(
            request, submission.scope(messaging.ONCE_THREAD, request.patient.pk)
        )
        if first:
            return _sent_before(request, int(first), _thread_flagged(request, int(first)))
        errors = messaging.new_thread_problems(subject, body)
    if request.method == "POST" and not errors:
        try:
            sent = messaging.do_patient_send(
                request.portal_actor, request.patient, body, subject=subject, once=once
            )
        except AlreadySaved as saved:
            first_id = int(saved.object_id)
            return _sent_before(request, first_id, _thread_flagged(request, first_id))
        except ActionError as problem:
            errors[problem.field] = problem.message
        else:
            if sent.crisis:
                request.session[CRISIS_SESSION_KEY] = sent.message.thread_id
            flash.success(request, "Message sent to your care team.")
            return redirect("portal:thread", thread_id=sent.message.thread_id)
    threads = messaging.patient_threads(request.patient)
    return render(
        request,
        "portal/messages.html",
        {"threads": threads, "errors": errors, "subject": subject, "body": body},
        status=400 if errors else 200,
    )


def own_thread(request: PortalRequest, thread_id: int) -> MessageThread:
    thread = MessageThread.objects.filter(pk=thread_id, patient=request.patient).first()
    if thread is None:
        portal_audit(
            request,
            "portal.access.refused",
            outcome="denied",
            object_type="message_thread",
            object_id=thread_id,
        )
        raise Http404("No such conversation.")
    return thread


@portal_patient_required
@require_http_methods(["GET", "POST"])
def thread(request: PortalRequest, thread_id: int) -> HttpResponse:
    conversation = own_thread(request, thread_id)
    error = ""
    body = request.POST.get("body", "")
    if request.method == "POST":
        where = submission.scope(messaging.ONCE_PATIENT_REPLY, conversation.pk)
        once, first = submission.page_key(request, where)
        if first:
            flagged = conversation.messages.filter(pk=first, flag__isnull=False).exists()
            return _sent_before(request, conversation.pk, flagged)
        try:
            sent = messaging.do_patient_send(
                request.portal_actor, request.patient, body, thread=conversation, once=once
            )
        except AlreadySaved as saved:
            flagged = conversation.messages.filter(pk=saved.object_id, flag__isnull=False).exists()
            return _sent_before(request, conversation.pk, flagged)
        except ActionError as problem:
            error = problem.message
        else:
            if sent.crisis:
                request.session[CRISIS_SESSION_KEY] = conversation.pk
            flash.success(request, "Message sent.")
            return redirect("portal:thread", thread_id=conversation.pk)
    messaging.do_mark_read_by_patient(request.portal_actor, conversation)
    show_crisis = request.session.pop(CRISIS_SESSION_KEY, None) == conversation.pk
    return render(
        request,
        "portal/thread.html",
        {
            "thread": conversation,
            "messages_list": conversation.messages.select_related("sender"),
            "error": error,
            "body": body,
            "show_crisis": show_crisis,
        },
        status=400 if error else 200,
    )
