"""`ketacare serve` loads the code and freezes it out of the garbage collector before forking."""

from __future__ import annotations

import gc

from ketacare.core.management.commands.serve import _freeze_loaded_code


def test_the_loaded_code_is_frozen_out_of_full_collections() -> None:
    try:
        _freeze_loaded_code()
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # Django, the apps and every view module
        assert len(gc.get_objects(generation=2)) < frozen  # what a full collection walks
    finally:
        gc.unfreeze()  # back to normal for the rest of the test run
