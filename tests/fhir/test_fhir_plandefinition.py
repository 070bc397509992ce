"""GET /fhir/PlanDefinition[/{id}]: the clinic's protocol versions (library v1 and its own
edits), one action per phase, sources as citations."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.plandefinition import PlanDefinition

from ketacare.accounts.audit import AuditEntry
from ketacare.clinical.protocols import LIBRARY
from ketacare.plans.protocols import do_edit_protocol, do_set_available
from tests.evaluations.evaluation_helpers import actor
from tests.fhir._clinical import ids, read, search

BASE = "http://ketacare.org/fhir"


@pytest.fixture
def clinician_b(world: Any, token_for: Any, api_client: Any) -> Client:
    return api_client(token_for(world.clinician_b))


def edit(world: Any, changes: dict[str, Any]) -> None:
    do_edit_protocol(
        actor(world.admin_a), world.clinic_a, "iv_ketamine_depression", changes, "Director, 2026"
    )


def test_every_library_protocol_is_an_active_version_1(world: Any, nurse: Client) -> None:
    bundle = search(nurse, PlanDefinition, "PlanDefinition?_count=100")
    assert bundle["total"] == len(LIBRARY)
    assert ids(bundle) == [f"{code.replace('_', '-')}-v1" for code in LIBRARY]
    assert {e["resource"]["status"] for e in bundle["entry"]} == {"active"}
    assert not AuditEntry.objects.filter(action__startswith="fhir.plan_definition").exists()


def test_iv_depression_has_its_phases_as_timed_actions(world: Any, nurse: Client) -> None:
    body = read(nurse, PlanDefinition, "PlanDefinition/iv-ketamine-depression-v1")
    assert body["url"] == f"{BASE}/PlanDefinition/iv-ketamine-depression-v1"
    assert (body["version"], body["name"]) == ("1", "IvKetamineDepression")
    assert body["title"] == "IV racemic ketamine for depression (off-label)"
    assert body["type"]["coding"][0]["code"] == "clinical-protocol"
    assert "0.5 mg/kg (actual body weight) over 40 min" in body["description"]
    assert "Stop rule: Less than 20% MADRS improvement" in body["description"]
    induction, maintenance, taper = body["action"]
    assert induction["title"] == "Induction"
    # 2-3 times a week, 6 sessions over 2-3 weeks.
    repeat = induction["timingTiming"]["repeat"]
    assert (repeat["frequency"], repeat["frequencyMax"], repeat["period"]) == (2, 3, 1)
    assert (repeat["periodUnit"], repeat["count"]) == ("wk", 6)
    assert repeat["boundsRange"]["low"]["value"] == 2
    assert repeat["boundsRange"]["high"]["value"] == 3
    assert "At least 48 h between sessions" in induction["description"]
    assert maintenance["relatedAction"] == [{"actionId": "induction", "relationship": "after-end"}]
    assert maintenance["timingTiming"]["repeat"]["boundsDuration"]["value"] == 4
    # Every 2 or every 4 weeks.
    taper_repeat = taper["timingTiming"]["repeat"]
    assert (taper_repeat["period"], taper_repeat["periodMax"]) == (2, 4)
    assert {"type": "citation", "citation": "clinical.md §7b; S30, S31, S32, S34"} in induction[
        "documentation"
    ]
    labels = [artifact["label"] for artifact in body["relatedArtifact"]]
    assert labels == list(LIBRARY["iv_ketamine_depression"].sources)


def test_a_clinic_edit_is_a_new_version_only_that_clinic_sees(
    world: Any, nurse: Client, clinician_b: Client
) -> None:
    edit(world, {"dose.max_dose_mg": "100"})
    v2 = read(nurse, PlanDefinition, "PlanDefinition/iv-ketamine-depression-v2")
    assert v2["url"] == f"{BASE}/clinic/alpha-clinic/PlanDefinition/iv-ketamine-depression-v2"
    assert (v2["status"], v2["publisher"]) == ("active", "Alpha Clinic")
    assert "at most 100 mg a session" in v2["description"]
    v1 = read(nurse, PlanDefinition, "PlanDefinition/iv-ketamine-depression-v1")
    assert v1["status"] == "retired"  # superseded
    assert "at most" not in v1["description"]
    # The code with underscores is accepted on read too.
    assert read(nurse, PlanDefinition, "PlanDefinition/iv_ketamine_depression-v2")["id"] == v2["id"]
    # Clinic B has only the library version, and never sees A's edit.
    unknown = read(clinician_b, PlanDefinition, "PlanDefinition/iv-ketamine-depression-v9", 404)
    assert read(clinician_b, PlanDefinition, "PlanDefinition/iv-ketamine-depression-v2", 404) == (
        unknown
    )
    b_v1 = read(clinician_b, PlanDefinition, "PlanDefinition/iv-ketamine-depression-v1")
    assert b_v1["status"] == "active"
    assert search(clinician_b, PlanDefinition, "PlanDefinition")["total"] == len(LIBRARY)
    assert search(nurse, PlanDefinition, "PlanDefinition")["total"] == len(LIBRARY) + 1


def test_a_withdrawn_protocol_is_retired(world: Any, nurse: Client) -> None:
    do_set_available(
        actor(world.admin_a), world.clinic_a, "iv_ketamine_depression", False, "Not offered"
    )
    bundle = search(nurse, PlanDefinition, "PlanDefinition?name=iv racemic ketamine for dep")
    statuses = {e["resource"]["id"]: e["resource"]["status"] for e in bundle["entry"]}
    assert statuses == {
        "iv-ketamine-depression-v1": "retired",
        "iv-ketamine-depression-v2": "retired",
    }
    active = ids(search(nurse, PlanDefinition, "PlanDefinition?status=active&_count=100"))
    assert "iv-ketamine-depression-v2" not in active and len(active) == len(LIBRARY) - 1


def test_search_by_url_name_and_status(world: Any, nurse: Client) -> None:
    edit(world, {"dose.max_dose_mg": "100"})
    url = f"{BASE}/clinic/alpha-clinic/PlanDefinition/iv-ketamine-depression-v2"
    assert ids(search(nurse, PlanDefinition, f"PlanDefinition?url={url}")) == [
        "iv-ketamine-depression-v2"
    ]
    assert ids(search(nurse, PlanDefinition, f"PlanDefinition?url={url}%7C2")) == [
        "iv-ketamine-depression-v2"
    ]
    assert ids(search(nurse, PlanDefinition, f"PlanDefinition?url={url}%7C1")) == []
    esketamine = ids(search(nurse, PlanDefinition, "PlanDefinition?name=ESKETAMINE"))
    assert esketamine and all(i.startswith("esketamine-") for i in esketamine)
    retired = ids(search(nurse, PlanDefinition, "PlanDefinition?status=retired"))
    assert retired == ["iv-ketamine-depression-v1"]


def test_bad_search_parameters_are_refused(world: Any, nurse: Client) -> None:
    body = search(nurse, PlanDefinition, "PlanDefinition?title=x", expect=400)
    assert "Unknown search parameter 'title'" in body["issue"][0]["diagnostics"]
    body = search(nurse, PlanDefinition, "PlanDefinition?name:exact=x", expect=400)
    assert "modifier" in body["issue"][0]["diagnostics"]
    body = search(nurse, PlanDefinition, "PlanDefinition?_count=lots", expect=400)
    assert "'_count'" in body["issue"][0]["diagnostics"]


def test_a_token_is_needed(world: Any, client: Client) -> None:
    assert client.get("/fhir/PlanDefinition").status_code == 401
    assert client.get("/fhir/PlanDefinition/iv-ketamine-depression-v1").status_code == 401


def test_metadata_lists_the_plan_and_scheduling_resources(client: Client) -> None:
    from fhir.resources.R4B.capabilitystatement import CapabilityStatement

    statement = client.get("/fhir/metadata").json()
    CapabilityStatement.model_validate(statement)
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    expected = {
        "CarePlan": {"patient", "status"},
        "PlanDefinition": {"url", "name", "status"},
        "Appointment": {"patient", "date", "status", "location"},
        "Location": {"name", "status"},
    }
    for kind, params in expected.items():
        assert {p["name"] for p in resources[kind]["searchParam"]} == params, kind
        assert [i["code"] for i in resources[kind]["interaction"]] == ["read", "search-type"]
