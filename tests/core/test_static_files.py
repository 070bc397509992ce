"""Each static file path is served by exactly one app: with two apps shipping the same path,
Django silently serves the first app's file and the other app's page loses its script or style."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import ketacare

SRC = Path(ketacare.__file__).resolve().parent


def test_no_two_apps_ship_the_same_static_path() -> None:
    owners: dict[str, list[str]] = defaultdict(list)
    for path in SRC.glob("*/static/**/*"):
        if path.is_file():
            app, relative = path.relative_to(SRC).parts[0], path.relative_to(SRC).parts[2:]
            owners["/".join(relative)].append(app)
    clashes = {name: apps for name, apps in owners.items() if len(apps) > 1}
    assert clashes == {}
