"""Finding a patient: by name (any case, accents optional), MRN or date of birth."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.conftest import make_patient


def _search(client: Any, **form: str) -> str:
    response = client.post("/patients/", form)
    assert response.status_code == 302
    # The search is kept in the session: no name or date ever goes into the URL.
    assert response["Location"] == "/patients/"
    return client.get("/patients/").content.decode()


def test_search_by_partial_name_ignores_case_and_accents(world: Any, as_user: Any) -> None:
    make_patient(world.clinic_a, "Zoë", "Brontë")
    client = as_user(world.nurse_a)
    assert "Brontë, Zoë" in _search(client, q="bronte")
    assert "Brontë, Zoë" in _search(client, q="ZOE bron")
    body = _search(client, q="zoe lovelace")
    assert "Brontë" not in body and "Lovelace" not in body


def test_search_by_mrn_and_by_birth_date(world: Any, as_user: Any) -> None:
    other = make_patient(world.clinic_a, "Mary", "Shelley", birth_date=date(1990, 8, 30))
    client = as_user(world.nurse_a)
    body = _search(client, q=other.mrn)
    assert "Shelley, Mary" in body and "Lovelace" not in body
    assert "Shelley, Mary" in _search(client, q=other.mrn.removeprefix("ALP").lstrip("0"))
    body = _search(client, birth_date="1990-08-30")
    assert "Shelley, Mary" in body and "Lovelace" not in body
    assert "Shelley, Mary" in _search(client, q="08/30/1990")


def test_clearing_the_search_shows_everyone_again(world: Any, as_user: Any) -> None:
    client = as_user(world.nurse_a)
    _search(client, q="nobody-matches")
    client.post("/patients/", {"clear": "1"})
    assert "Lovelace, Ada" in client.get("/patients/").content.decode()


def test_bad_birth_date_is_named(world: Any, as_user: Any) -> None:
    response = as_user(world.nurse_a).post("/patients/", {"birth_date": "31/31/2020"})
    assert response.status_code == 200
    assert 'data-field="birth_date"' in response.content.decode()


def test_list_is_paginated_in_a_fixed_number_of_queries(
    world: Any, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(30):
        make_patient(world.clinic_a, f"Given{i}", f"Family{i:02d}")
    client = as_user(world.nurse_a)
    client.get("/patients/")
    with django_assert_max_num_queries(16):
        first = client.get("/patients/").content.decode()
    assert "Page 1 of 2" in first
    assert "Family29" in client.get("/patients/?page=2").content.decode()
