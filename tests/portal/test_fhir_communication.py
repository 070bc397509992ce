"""GET /fhir/Communication[/{id}]: portal messages, scoped to the token's clinic, audited."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.communication import Communication

from ketacare.accounts.audit import AuditEntry
from ketacare.portal.messaging import do_patient_send, do_staff_reply
from ketacare.portal.signin import patient_actor
from tests.conftest import SYSTEM
from tests.fhir._clinical import ids, read, search


def test_messages_read_and_search_as_communications(
    portal: Any, world: Any, token_for: Any, api_client: Any
) -> None:
    sent = do_patient_send(
        patient_actor(portal.a), world.patient_a, "I want to die some days", subject="Hard week"
    )
    reply = do_staff_reply(SYSTEM, world.nurse_a, sent.message.thread, "Calling you now.")
    other = do_patient_send(patient_actor(portal.b), world.patient_b, "Hello", subject="B")
    nurse = api_client(token_for(world.nurse_a))
    body = read(nurse, Communication, f"Communication/{sent.message.pk}")
    assert body["sender"]["reference"] == f"Patient/{world.patient_a.pk}"
    assert body["payload"][0]["contentString"] == "I want to die some days"
    assert body["priority"] == "urgent" and body["topic"]["text"] == "Hard week"
    staff = read(nurse, Communication, f"Communication/{reply.pk}")
    assert staff["sender"]["display"] == "Nina Nurse"
    assert staff["recipient"][0]["reference"] == f"Patient/{world.patient_a.pk}"
    found = search(nurse, Communication, f"Communication?patient={world.patient_a.pk}")
    assert ids(found) == [str(sent.message.pk), str(reply.pk)]
    assert str(other.message.pk) not in ids(search(nurse, Communication, "Communication"))
    assert AuditEntry.objects.filter(action="fhir.communication.read").count() == 2
    assert AuditEntry.objects.filter(action="fhir.communication.searched").exists()
    # Another clinic's token: the same audited 404 as an unknown id.
    b = api_client(token_for(world.clinician_b))
    assert b.get(f"/fhir/Communication/{sent.message.pk}").status_code == 404
    assert b.get("/fhir/Communication/999999").status_code == 404
    assert ids(search(b, Communication, f"Communication?patient={world.patient_a.pk}")) == []
    assert b.get("/fhir/Communication?unknown=1").status_code == 400
