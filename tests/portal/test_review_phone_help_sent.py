"""The portal's "I need help now" answer on a small phone: the confirmation is the first thing
under the crisis bar (no three-row nav above it) and takes focus without any script."""

from __future__ import annotations

import re
from typing import Any


def test_the_confirmation_takes_focus_and_the_nav_is_left_off(portal: Any) -> None:
    body = portal.client(portal.a).post("/portal/help/now/?page=/portal/").content.decode()
    sent = re.search(r'<div [^>]*data-testid="help-sent"[^>]*>', body)
    assert sent is not None
    assert "autofocus" in sent.group(0) and 'tabindex="-1"' in sent.group(0)
    assert 'class="pt-nav"' not in body
    main = body.split("<main")[1]
    assert main.index('data-testid="help-sent"') < main.index('data-testid="crisis-panel"')


def test_other_portal_pages_keep_their_nav(portal: Any) -> None:
    body = portal.client(portal.a).get("/portal/help/").content.decode()
    assert 'class="pt-nav"' in body and "autofocus" not in body
