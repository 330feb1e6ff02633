"""Fixtures of the AI tests: the fake OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ai.fake_openai import FakeOpenAI, running


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A fake chat-completions server on 127.0.0.1 for one test (``.base_url`` ends in /v1)."""
    with running() as fake:
        yield fake
