"""Treatment protocols: the shape (model.py), the defaults (library.py) and a clinic's edits
(policy.py). Dose arithmetic lives in `ketacare.clinical.dosing`."""

from ketacare.clinical.protocols.library import LIBRARY, get_protocol
from ketacare.clinical.protocols.model import (
    ESKETAMINE_DEVICE_MG,
    DoseKind,
    DoseRule,
    Frequency,
    LabelFloor,
    MonitoringProfile,
    ObservationStart,
    Phase,
    PhaseKind,
    Protocol,
    RequiredCheck,
    ReviewPoint,
    StopRule,
    WeightBasis,
)
from ketacare.clinical.protocols.policy import (
    EDITABLE_FIELDS,
    ProtocolEdits,
    apply_edits,
    check_label_floor,
    protocol_changes,
)

__all__ = [
    "EDITABLE_FIELDS",
    "ESKETAMINE_DEVICE_MG",
    "LIBRARY",
    "DoseKind",
    "DoseRule",
    "Frequency",
    "LabelFloor",
    "MonitoringProfile",
    "ObservationStart",
    "Phase",
    "PhaseKind",
    "Protocol",
    "ProtocolEdits",
    "RequiredCheck",
    "ReviewPoint",
    "StopRule",
    "WeightBasis",
    "apply_edits",
    "check_label_floor",
    "get_protocol",
    "protocol_changes",
]
