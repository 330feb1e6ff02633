"""``jobs retry`` and ``webhooks replay`` refuse an empty selection and a ``--client-id``
without their every-failed flag: exit code 2 and one line, before touching anything."""

from __future__ import annotations

import argparse
import uuid

import pytest

from inboxapp.jobs import cli as jobs_cli
from inboxapp.pipeline.inbound import cli as inbound_cli

WS = str(uuid.uuid4())


def parse(register: object, *argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))  # type: ignore[operator]
    return parser.parse_args(argv)


@pytest.mark.parametrize(
    ("register", "argv", "error"),
    [
        (jobs_cli.register, ["jobs", "retry"], "give JOB_ID(s) or --all-failed"),
        (jobs_cli.register, ["jobs", "retry", "7", "--client-id", WS],
         "--client-id only filters --all-failed"),
        (inbound_cli.register, ["webhooks", "replay"], "give --event-id E or --failed"),
        (inbound_cli.register, ["webhooks", "replay", "--event-id", WS, "--client-id", WS],
         "--client-id only filters --failed"),
    ],
)  # fmt: skip
def test_a_bad_selection_is_refused_with_one_line(
    register: object, argv: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse(register, *argv)
    assert args.func(args) == 2
    out = capsys.readouterr()
    assert out.err == f"inboxapp: error: {error}\n" and out.out == ""
