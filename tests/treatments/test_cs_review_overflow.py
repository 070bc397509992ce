"""Review of the controlled-substance log (issue 6 item 3): impossible sizes typed on the stock
page are refused naming the field, not a server error when the number does not fit the
column (PostgreSQL refuses an overflowing numeric; SQLite stored it silently)."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.treatments.models_substances import DrugLot
from tests.treatments.substance_helpers import vial_lot

pytestmark = pytest.mark.django_db

LOT = {"drug": "ketamine_vial", "expiry": "2099-01-01", "units_received": "2"}


@pytest.mark.parametrize(
    ("field", "concentration", "unit_ml"),
    [
        ("concentration_mg_per_ml", "100000", "10"),  # 100 g/mL
        ("unit_ml", "50", "100000"),  # a 100 L vial
    ],
)
def test_an_impossible_vial_is_refused_naming_the_field(
    world: Any, as_user: Any, field: str, concentration: str, unit_ml: str
) -> None:
    response = as_user(world.nurse_a).post(
        "/chairs/substances/lots/",
        LOT | {"lot_number": "BIG", "concentration_mg_per_ml": concentration, "unit_ml": unit_ml},
    )
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()
    assert not DrugLot.objects.filter(lot_number="BIG").exists()


def test_an_impossible_count_is_refused_naming_the_field(world: Any, as_user: Any) -> None:
    # 10 g vials (100 mg/mL, 100 mL): 10,000 of them would not fit the count's column.
    lot = vial_lot(
        world.nurse_a, world.clinic_a, units=2, concentration_mg_per_ml="100", unit_ml="100"
    )
    response = as_user(world.nurse_a).post(
        "/chairs/substances/count/", {"lot": lot.pk, "counted_units": "10000", "counted_mg": "5"}
    )
    assert response.status_code == 400
    assert 'data-field="counted_units"' in response.content.decode()
