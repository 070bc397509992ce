"""gunicorn access logging that never records a secret or patient data.

The format prints the path only (no query string). Paths that carry a bearer secret —
a patient's one-time questionnaire link `/r/<token>/…` and appointment link `/a/<token>/…` — are
shortened to `/r/…/` and `/a/…/`.
"""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger

SECRET_PATHS = re.compile(r"^/([ra])/[^/]+")


def redact_path(path: str) -> str:
    return SECRET_PATHS.sub(r"/\1/…", path or "")


class RedactingLogger(Logger):
    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any
    ) -> dict[str, Any]:
        values = super().atoms(resp, req, environ, request_time)
        values["U"] = redact_path(values.get("U") or "")
        values["r"] = (
            f"{environ.get('REQUEST_METHOD')} {values['U']} {environ.get('SERVER_PROTOCOL')}"
        )
        values["q"] = ""
        return values
