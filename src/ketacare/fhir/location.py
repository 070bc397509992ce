"""Chairs and rooms → FHIR R4 Location, and Location search.

- `id` = the resource's pk; `status` active / inactive; `mode` instance; `name`;
  `managingOrganization.display` = the clinic.
- `physicalType` (http://terminology.hl7.org/CodeSystem/location-physical-type): a room is
  `ro` (Room). A treatment chair is `bd` (Bed): the code set has no "chair", and `bd` is the
  one code for a single patient's treatment place inside a room (what an infusion chair is,
  as a bed is on a ward); `physicalType.text` says "Treatment chair".
- Capabilities (IV pump, monitor, esketamine-certified setting) are in `description`: they are
  equipment, not the service-delivery functions `Location.type` is bound to.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet

from ketacare.accounts.models import Clinic
from ketacare.fhir.clinical_common import concept, prune
from ketacare.fhir.measures_search import Search
from ketacare.scheduling.models import Resource, ResourceKind

LOCATION_PARAMS = ("name", "status")
PHYSICAL_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/location-physical-type"
PHYSICAL_TYPES = {
    ResourceKind.CHAIR: ("bd", "Bed"),
    ResourceKind.ROOM: ("ro", "Room"),
}
CAPABILITIES = (
    ("has_iv_pump", "IV infusion pump"),
    ("has_monitor", "vital-signs monitor"),
    ("esketamine_certified", "esketamine (REMS-certified treatment setting)"),
)
LOCATION_ID = re.compile(r"^[1-9]\d{0,17}$")


def parse_location_id(resource_id: str) -> int | None:
    return int(resource_id) if LOCATION_ID.match(resource_id) else None


def capabilities(resource: Resource) -> list[str]:
    return [label for field, label in CAPABILITIES if getattr(resource, field)]


def location_to_fhir(resource: Resource) -> dict[str, Any]:
    kind = ResourceKind(resource.kind)
    code, display = PHYSICAL_TYPES[kind]
    has = capabilities(resource)
    description = f"{kind.label}: {', '.join(has)}." if has else f"{kind.label}."
    return prune(
        {
            "resourceType": "Location",
            "id": str(resource.pk),
            "status": "active" if resource.active else "inactive",
            "name": resource.name,
            "description": description,
            "mode": "instance",
            "physicalType": concept(PHYSICAL_TYPE_SYSTEM, code, display, kind.label),
            "managingOrganization": {"display": resource.clinic.name},
        }
    )


def location_rows(clinic: Clinic) -> QuerySet[Resource]:
    return Resource.objects.filter(clinic=clinic).select_related("clinic")


def run_location_search(clinic: Clinic, search: Search) -> QuerySet[Resource]:
    """Chairs and rooms of `clinic` matching the search, in the clinic's order."""
    rows = location_rows(clinic)
    for value in search.values("name"):
        # Any part of the name, ignoring case (FHIR's default is starts-with).
        rows = rows.filter(name__icontains=value)
    for value in search.values("status"):
        if value not in ("active", "inactive"):
            return rows.none()
        rows = rows.filter(active=value == "active")
    return rows.order_by("sort_order", "name", "pk")


def location_row(clinic: Clinic, pk: int) -> Resource | None:
    return location_rows(clinic).filter(pk=pk).first()
