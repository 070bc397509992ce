"""Page text for "this number is not on the page" assertions.

A CSRF token or a link token is a long random string that can contain any
short number ("77", "988") by chance, so a bare ``"988" not in body`` fails
about once in a few thousand runs. ``without_tokens`` blanks every run of 20
or more token characters before such a check; no phone number, count or
clinical value on a page is that long.
"""

import re

_TOKEN = re.compile(r"[A-Za-z0-9_\-]{20,}")


def without_tokens(html: str) -> str:
    return _TOKEN.sub("«token»", html)
