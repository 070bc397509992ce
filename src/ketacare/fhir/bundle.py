"""Searchset Bundles and their paging links (self, first, previous, next, last)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode


def page_links(
    base_url: str,
    terms: Sequence[tuple[str, str]],
    *,
    count: int,
    offset: int,
    total: int,
) -> list[dict[str, str]]:
    """Links that repeat `terms` with `_count`/`_offset` for each page.

    `terms` may be empty: a POST `_search` keeps its terms in the body, so its links carry
    only the paging and the client posts the same body to them.
    """

    def url(at: int) -> str:
        return f"{base_url}?{urlencode([*terms, ('_count', count), ('_offset', at)])}"

    links = [{"relation": "self", "url": url(offset)}]
    if count == 0:
        return links
    last = max(0, (total - 1) // count * count)
    links.append({"relation": "first", "url": url(0)})
    if offset > 0:
        links.append({"relation": "previous", "url": url(max(0, min(offset - count, last)))})
    if offset + count < total:
        links.append({"relation": "next", "url": url(offset + count)})
    links.append({"relation": "last", "url": url(last)})
    return links


def searchset(
    entries: Sequence[tuple[str, dict[str, Any]]], *, total: int, links: list[dict[str, str]]
) -> dict[str, Any]:
    """A searchset Bundle of (fullUrl, resource) matches."""
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
    }
    if entries:
        bundle["entry"] = [
            {"fullUrl": full_url, "resource": resource, "search": {"mode": "match"}}
            for full_url, resource in entries
        ]
    return bundle
