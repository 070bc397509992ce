"""GET /fhir/Patient?… and POST /fhir/Patient/_search: searchset Bundles within one clinic."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome

from ketacare.accounts.audit import AuditEntry
from tests.conftest import make_patient

SYSTEM_A = "urn:ketacare:clinic:alpha-clinic:mrn"


@pytest.fixture
def clinician_b(world: Any, token_for: Any, api_client: Any) -> Client:
    return api_client(token_for(world.clinician_b))


def search(client: Client, query: str = "", expect: int = 200) -> dict[str, Any]:
    response = client.get(f"/fhir/Patient{'?' + query if query else ''}")
    assert response.status_code == expect, response.content
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    body = response.json()
    if expect == 200:
        bundle = Bundle.model_validate(body)
        assert bundle.type == "searchset"
    else:
        OperationOutcome.model_validate(body)
    return body


def post_search(client: Client, form: dict[str, str], url: str = "/fhir/Patient/_search") -> Any:
    return client.post(url, data=urlencode(form), content_type="application/x-www-form-urlencoded")


def family_names(bundle: dict[str, Any]) -> list[str]:
    return [e["resource"]["name"][0]["family"] for e in bundle.get("entry", [])]


def link(bundle: dict[str, Any], relation: str) -> str | None:
    return next((lk["url"] for lk in bundle["link"] if lk["relation"] == relation), None)


def test_search_by_name_ignores_case_and_accents(world: Any, nurse: Client) -> None:
    make_patient(world.clinic_a, "José", "Núñez", birth_date=date(1990, 1, 1))
    for query in ("name=jose", "name=NUNEZ", "name=Núñez", "name=nun", "name=jose%20nunez"):
        assert family_names(search(nurse, query)) == ["Núñez"], query
    assert search(nurse, "name=nobody")["total"] == 0


def test_search_by_name_matches_the_preferred_name(world: Any, nurse: Client) -> None:
    make_patient(world.clinic_a, "Robert", "Smith", preferred_name="Bobby")
    assert family_names(search(nurse, "name=bobby")) == ["Smith"]


def test_repeated_name_parameters_must_all_match(world: Any, nurse: Client) -> None:
    make_patient(world.clinic_a, "Ada", "Byron")
    assert sorted(family_names(search(nurse, "name=ada"))) == ["Byron", "Lovelace"]
    assert family_names(search(nurse, "name=ada&name=byron")) == ["Byron"]


def test_a_name_with_digits_is_never_read_as_an_mrn(world: Any, nurse: Client) -> None:
    mrn_digits = world.patient_a.mrn.lstrip("ALP")
    assert search(nurse, f"name={mrn_digits}")["total"] == 0


def test_search_by_birthdate(world: Any, nurse: Client) -> None:
    make_patient(world.clinic_a, "Alan", "Turing", birth_date=date(1912, 6, 23))
    assert family_names(search(nurse, "birthdate=1912-06-23")) == ["Turing"]
    assert family_names(search(nurse, "birthdate=eq1912-06-23")) == ["Turing"]
    assert family_names(search(nurse, "birthdate=1912")) == ["Turing"]
    assert family_names(search(nurse, "birthdate=1985-04")) == ["Lovelace"]
    assert family_names(search(nurse, "birthdate=lt1950-01-01")) == ["Turing"]
    assert family_names(search(nurse, "birthdate=ge1950-01-01")) == ["Lovelace"]
    assert family_names(search(nurse, "birthdate=ne1912")) == ["Lovelace"]
    both = "birthdate=ge1912-06-23&birthdate=le1985-04-12"
    assert sorted(family_names(search(nurse, both))) == ["Lovelace", "Turing"]


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("ap1985-04-12", "prefix 'ap'"),
        ("12/04/1985", "YYYY-MM-DD"),
        ("1985-02-30", "not a date"),
        ("1985-04-12T10:00:00Z", "YYYY-MM-DD"),
    ],
)
def test_unsupported_birthdate_forms_are_400(nurse: Client, value: str, words: str) -> None:
    body = search(nurse, f"birthdate={value}", expect=400)
    assert words in body["issue"][0]["diagnostics"]


def test_search_by_identifier(world: Any, nurse: Client) -> None:
    mrn = world.patient_a.mrn
    assert family_names(search(nurse, f"identifier={SYSTEM_A}|{mrn}")) == ["Lovelace"]
    assert family_names(search(nurse, f"identifier={mrn}")) == ["Lovelace"]
    assert family_names(search(nurse, f"identifier={mrn.lower()}")) == ["Lovelace"]
    assert family_names(search(nurse, f"identifier={SYSTEM_A}|")) == ["Lovelace"]
    assert search(nurse, f"identifier=urn:other|{mrn}")["total"] == 0
    assert search(nurse, f"identifier=|{mrn}")["total"] == 0
    assert search(nurse, "identifier=ALP999999")["total"] == 0


def test_search_combines_parameters(world: Any, nurse: Client) -> None:
    make_patient(world.clinic_a, "Ada", "Lovelace", birth_date=date(1990, 1, 1))
    assert search(nurse, "name=lovelace")["total"] == 2
    assert search(nurse, "name=lovelace&birthdate=1985-04-12")["total"] == 1


def test_entries_have_full_urls_and_match_mode(world: Any, nurse: Client) -> None:
    bundle = search(nurse, "name=lovelace")
    [entry] = bundle["entry"]
    assert entry["fullUrl"] == f"http://testserver/fhir/Patient/{world.patient_a.pk}"
    assert entry["search"] == {"mode": "match"}
    assert entry["resource"]["id"] == str(world.patient_a.pk)
    assert (
        link(bundle, "self") == "http://testserver/fhir/Patient?name=lovelace&_count=20&_offset=0"
    )


# --- clinic isolation ----------------------------------------------------------------------


def test_search_never_returns_another_clinics_patients(world: Any, clinician_b: Client) -> None:
    mrn = world.patient_a.mrn
    assert family_names(search(clinician_b)) == ["Hopper"]
    assert search(clinician_b, "name=lovelace")["total"] == 0
    assert search(clinician_b, "birthdate=1985-04-12")["total"] == 1  # Hopper, same birthday
    assert search(clinician_b, f"identifier={mrn}")["total"] == 0
    assert search(clinician_b, f"identifier={SYSTEM_A}|{mrn}")["total"] == 0
    assert search(clinician_b, f"identifier={SYSTEM_A}|")["total"] == 0
    posted = post_search(clinician_b, {"name": "lovelace"})
    assert posted.json()["total"] == 0


# --- strict parameters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("family=lovelace", "'family'"),
        ("name:exact=Ada", "':exact'"),
        ("_sort=name", "'_sort'"),
        ("name=ada,grace", "OR lists"),
        ("_count=ten", "'_count'"),
        ("_offset=-1", "'_offset'"),
        ("_count=5&_count=6", "more than once"),
    ],
)
def test_unknown_or_malformed_parameters_are_400_naming_them(
    nurse: Client, query: str, named: str
) -> None:
    body = search(nurse, query, expect=400)
    assert body["issue"][0]["code"] == "invalid"
    assert named in body["issue"][0]["diagnostics"]


def test_empty_parameters_are_ignored(nurse: Client) -> None:
    assert search(nurse, "name=&birthdate=&_count=")["total"] == 1


def test_search_without_a_token_is_401(world: Any) -> None:
    response = Client().get("/fhir/Patient?name=lovelace")
    assert response.status_code == 401
    assert "Lovelace" not in response.content.decode()


def test_search_is_audited_with_parameter_names_but_not_values(world: Any, nurse: Client) -> None:
    search(nurse, "name=lovelace&birthdate=1985-04-12&_count=5")
    entry = AuditEntry.objects.filter(action="fhir.patient.searched").order_by("-seq").first()
    assert entry is not None
    assert entry.actor_id == world.nurse_a.pk
    assert entry.clinic_id == world.clinic_a.pk
    assert entry.detail["params"] == ["birthdate", "name"]
    assert entry.detail["results"] == 1
    assert "lovelace" not in str(entry.detail).lower() and "1985" not in str(entry.detail)


# --- paging ---------------------------------------------------------------------------------


@pytest.fixture
def crowd(world: Any) -> list[Any]:
    return [make_patient(world.clinic_a, f"Given{n:02d}", "Crowd") for n in range(25)]


def test_paging_follows_next_links_through_every_match(nurse: Client, crowd: list[Any]) -> None:
    bundle = search(nurse, "name=crowd&_count=10")
    assert bundle["total"] == 25
    assert link(bundle, "previous") is None
    seen: list[str] = []
    pages = 0
    while True:
        pages += 1
        seen += [e["resource"]["id"] for e in bundle["entry"]]
        next_url = link(bundle, "next")
        if next_url is None:
            break
        parts = urlsplit(next_url)
        assert parts.path == "/fhir/Patient"
        assert parse_qs(parts.query)["name"] == ["crowd"]
        bundle = search(nurse, parts.query)
    assert pages == 3
    assert len(bundle["entry"]) == 5
    assert sorted(seen) == sorted(str(p.pk) for p in crowd)
    previous = urlsplit(link(bundle, "previous") or "")
    assert parse_qs(previous.query)["_offset"] == ["10"]
    assert parse_qs(urlsplit(link(bundle, "last") or "").query)["_offset"] == ["20"]


def test_default_page_size_comes_from_settings(
    nurse: Client, crowd: list[Any], settings: Any
) -> None:
    assert len(search(nurse, "name=crowd")["entry"]) == 20
    settings.FHIR_PAGE_SIZE_DEFAULT = 7
    assert len(search(nurse, "name=crowd")["entry"]) == 7


def test_page_size_is_capped_at_100(nurse: Client) -> None:
    bundle = search(nurse, "_count=500")
    assert parse_qs(urlsplit(link(bundle, "self") or "").query)["_count"] == ["100"]


def test_count_zero_gives_only_the_total(nurse: Client, crowd: list[Any]) -> None:
    bundle = search(nurse, "name=crowd&_count=0")
    assert bundle["total"] == 25
    assert "entry" not in bundle
    assert link(bundle, "next") is None


def test_an_offset_past_the_end_is_an_empty_page(nurse: Client, crowd: list[Any]) -> None:
    bundle = search(nurse, "name=crowd&_count=10&_offset=40")
    assert bundle["total"] == 25 and "entry" not in bundle
    assert parse_qs(urlsplit(link(bundle, "previous") or "").query)["_offset"] == ["20"]


# --- POST _search --------------------------------------------------------------------------


def test_post_search_takes_form_encoded_terms(world: Any, nurse: Client) -> None:
    response = post_search(nurse, {"name": "lovelace", "birthdate": "1985-04-12"})
    assert response.status_code == 200
    bundle = response.json()
    Bundle.model_validate(bundle)
    assert family_names(bundle) == ["Lovelace"]
    entry = AuditEntry.objects.filter(action="fhir.patient.searched").order_by("-seq").first()
    assert entry is not None and entry.detail["method"] == "POST"


def test_post_search_links_keep_terms_out_of_urls(nurse: Client, crowd: list[Any]) -> None:
    form = {"name": "crowd", "_count": "10"}
    bundle = post_search(nurse, form).json()
    assert all("crowd" not in lk["url"] for lk in bundle["link"])
    seen = [e["resource"]["id"] for e in bundle["entry"]]
    # Posting the same body to each next link walks the pages (URL paging wins over body).
    while link(bundle, "next"):
        next_url = urlsplit(link(bundle, "next") or "")
        assert next_url.path == "/fhir/Patient/_search"
        bundle = post_search(nurse, form, f"{next_url.path}?{next_url.query}").json()
        seen += [e["resource"]["id"] for e in bundle["entry"]]
    assert sorted(seen) == sorted(str(p.pk) for p in crowd)


def test_post_search_refuses_unknown_parameters_and_other_bodies(nurse: Client) -> None:
    unknown = post_search(nurse, {"surname": "lovelace"})
    assert unknown.status_code == 400
    assert "'surname'" in unknown.json()["issue"][0]["diagnostics"]
    as_json = nurse.post(
        "/fhir/Patient/_search", data='{"name": "x"}', content_type="application/json"
    )
    assert as_json.status_code == 415
    multipart = nurse.post("/fhir/Patient/_search", {"name": "lovelace"})
    assert multipart.status_code == 415


def test_get_on_the_search_endpoint_is_405(nurse: Client) -> None:
    response = nurse.get("/fhir/Patient/_search?name=lovelace")
    assert response.status_code == 405
    assert response["Allow"] == "POST"


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_on_the_type_are_405(nurse: Client, method: str) -> None:
    response = getattr(nurse, method)("/fhir/Patient")
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"
