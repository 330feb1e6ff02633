"""``data-testid`` attributes: stable hooks for browser tests (rendered into the DOM)."""

from __future__ import annotations


def testid(value: str) -> dict[str, str]:
    """``custom_attrs`` that render ``data-testid="<value>"`` on the element."""
    return {"data-testid": value}
