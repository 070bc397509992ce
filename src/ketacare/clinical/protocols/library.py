"""The default protocol library (version 1 of each), from shared/reference/clinical.md;
the protocols themselves are in esketamine.py and racemic.py.

Each value carries a comment naming its section, source IDs and tag. The tags decide what a
clinic may change (policy.py): esketamine [LABEL]/[REMS] values are a floor; everything for
racemic ketamine is off-label ([GUIDELINE]/[EVIDENCE]/[PRACTICE]) and editable. Values marked
[UNCONFIRMED] are not stated in shared/reference (e.g. the minimum gap between sessions,
derived here from the session frequency) and must be checked by the clinic's medical director.

No racemic protocol has a default absolute cap (`max_dose_mg`): shared/reference gives none
(§18: "cumulative dose caps: none found"), so the cap is a clinic setting; the CRPS rate cap
(25 mg/h) and the oral per-occasion range (≤300 mg) are the exceptions the reference gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ketacare.clinical.protocols.esketamine import (
    ESKETAMINE_MDSI_US,
    ESKETAMINE_TRD_EU_65PLUS,
    ESKETAMINE_TRD_US,
)
from ketacare.clinical.protocols.model import Protocol
from ketacare.clinical.protocols.racemic import (
    CRPS_IV,
    IM_DEPRESSION,
    IV_DEPRESSION,
    ORAL_DEPRESSION,
    PTSD_IV,
    SUBLINGUAL_DEPRESSION,
)

LIBRARY: Mapping[str, Protocol] = MappingProxyType(
    {
        p.code: p
        for p in (
            IV_DEPRESSION,
            ESKETAMINE_TRD_US,
            ESKETAMINE_TRD_EU_65PLUS,
            ESKETAMINE_MDSI_US,
            IM_DEPRESSION,
            ORAL_DEPRESSION,
            SUBLINGUAL_DEPRESSION,
            PTSD_IV,
            CRPS_IV,
        )
    }
)


def get_protocol(code: str) -> Protocol:
    """The library default for `code`; ValueError naming it when there is none."""
    try:
        return LIBRARY[code]
    except KeyError:
        raise ValueError(f"protocol: no library protocol {code!r}") from None
