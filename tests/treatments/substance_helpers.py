"""Set-up for the controlled-substance tests: lots in a clinic's log."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ketacare.accounts.models import Clinic, User
from ketacare.treatments import substance_actions as sa
from ketacare.treatments.models_substances import DrugLot
from tests.treatments.session_helpers import actor


def vial_lot(
    user: User, clinic: Clinic, lot_number: str = "KV-100", units: int = 5, **extra: Any
) -> DrugLot:
    """Ketamine 50 mg/mL, 10 mL vials (500 mg each)."""
    data = {
        "drug": "ketamine_vial",
        "lot_number": lot_number,
        "expiry": date(2099, 1, 1),
        "units_received": units,
        "concentration_mg_per_ml": Decimal("50"),
        "unit_ml": Decimal("10"),
    } | extra
    return sa.do_receive_lot(actor(user), clinic, data)


def device_lot(user: User, clinic: Clinic, lot_number: str = "ES-1", units: int = 6) -> DrugLot:
    return sa.do_receive_lot(
        actor(user),
        clinic,
        {
            "drug": "esketamine_device",
            "lot_number": lot_number,
            "expiry": date(2099, 1, 1),
            "units_received": units,
        },
    )
