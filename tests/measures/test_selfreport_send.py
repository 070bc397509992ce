"""Staff send a questionnaire link from the chart: by email, text message or on a tablet;
the link list shows its status and can revoke it."""

from __future__ import annotations

from typing import Any

from django.core import mail
from django.template import Context, Template
from django.test import RequestFactory

from ketacare.accounts.audit import AuditEntry
from ketacare.accounts.models import Membership
from ketacare.measures.models import SelfReportLink
from ketacare.notify.models import NotificationLog
from tests.notify.backends import RecordingSmsBackend

SEND = "/measures/patients/{}/self-report/"


def post_send(client: Any, patient: Any, **data: Any) -> Any:
    body = {"scales": ["phq9", "gad7"], "context": "follow_up", "channel": "email", **data}
    return client.post(SEND.format(patient.pk), body)


def test_nurse_sends_a_link_by_email(
    world: Any, as_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    world.patient_a.email = "ada@example.com"
    world.patient_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_send(as_user(world.nurse_a), world.patient_a)
    assert response.status_code == 200
    link = SelfReportLink.objects.get()
    assert link.scale_codes == ["phq9", "gad7"] and link.created_by == world.nurse_a
    [message] = mail.outbox
    assert message.to == ["ada@example.com"] and "Alpha Clinic" in message.subject
    assert "http://testserver/r/" in message.body and "Lovelace" not in message.body
    log = NotificationLog.objects.get()
    assert (log.status, log.attempts, log.body) == ("sent", 1, "")
    assert log.reference == f"selfreportlink:{link.pk}"
    created = AuditEntry.objects.get(action="measures.selfreport.link_created")
    assert created.actor_id == world.nurse_a.pk and created.detail["channel"] == "email"


def test_sms_text_contains_no_patient_name(
    world: Any, as_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_send(as_user(world.intake_a), world.patient_a, channel="sms", scales=["phq9"])
    [(to, body)] = RecordingSmsBackend.sent
    assert to == world.patient_a.phone
    assert body.startswith(
        "Your care team at Alpha Clinic asks you to fill in a short questionnaire:"
    )
    assert "http://testserver/r/" in body
    for name in ("Ada", "Lovelace", world.patient_a.mrn):
        assert name not in body


def test_in_clinic_link_is_shown_once_with_a_qr_code(world: Any, as_user: Any) -> None:
    client = as_user(world.therapist_a)
    response = post_send(client, world.patient_a, channel="in_clinic")
    body = response.content.decode()
    assert 'data-testid="selfreport-url"' in body and "http://testserver/r/" in body
    assert "<svg" in body and not NotificationLog.objects.exists()
    url = body.split('data-testid="selfreport-url">', 1)[1].split("<", 1)[0]
    token = url.rsplit("/r/", 1)[1].strip("/")
    # The token is shown only on that page: the chart section lists the link without it.
    chart = render_section(world, world.therapist_a)
    assert token not in chart and "sent" in chart


def test_missing_contact_and_unknown_scales_are_named(world: Any, as_user: Any) -> None:
    client = as_user(world.nurse_a)
    no_email = post_send(client, world.patient_a)
    assert no_email.status_code == 400
    assert "There is no email address on this chart." in no_email.content.decode()
    bad_scale = post_send(client, world.patient_a, channel="sms", scales=["madrs"])
    assert bad_scale.status_code == 400 and 'data-field="scales"' in bad_scale.content.decode()
    assert not SelfReportLink.objects.exists()


def test_roles_without_the_permission_cannot_send(world: Any, as_user: Any) -> None:
    for user in (world.admin_a, world.director_a):
        response = post_send(as_user(user), world.patient_a, channel="in_clinic")
        assert response.status_code == 403
    assert not SelfReportLink.objects.exists()


def test_revoked_link_stops_working(world: Any, as_user: Any, client: Any) -> None:
    nurse = as_user(world.nurse_a)
    body = post_send(nurse, world.patient_a, channel="in_clinic").content.decode()
    url = body.split('data-testid="selfreport-url">', 1)[1].split("<", 1)[0]
    path = url.replace("http://testserver", "")
    assert client.get(path).status_code == 200
    link = SelfReportLink.objects.get()
    revoke = nurse.post(f"/measures/patients/{world.patient_a.pk}/self-report/{link.pk}/revoke/")
    assert revoke.status_code == 302 and revoke["Location"].endswith("#selfreport")
    assert client.get(path).status_code == 404
    assert AuditEntry.objects.filter(action="measures.selfreport.link_revoked").exists()
    assert "revoked" in render_section(world, world.nurse_a)


def render_section(world: Any, user: Any) -> str:
    request = RequestFactory().get("/")
    request.user = user
    request.membership = Membership.objects.get(user=user, clinic=world.clinic_a)  # type: ignore[attr-defined]
    template = Template("{% load due_tags %}{% due_section patient %}")
    return template.render(Context({"request": request, "patient": world.patient_a}))


def test_send_form_page_opens_for_senders_and_is_audited(world: Any, as_user: Any) -> None:
    response = as_user(world.intake_a).get(SEND.format(world.patient_a.pk))
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="send-link-form"' in body
    assert 'value="phq9"' in body and 'value="madrs"' not in body
    assert AuditEntry.objects.filter(action="measures.selfreport.send_form_viewed").exists()
    assert as_user(world.director_a).get(SEND.format(world.patient_a.pk)).status_code == 403
