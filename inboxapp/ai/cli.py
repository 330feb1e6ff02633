"""``ai replay``: the replay gate (``python -m inboxapp ai replay``, ``make ai-replay``).

ai replay --client-id ID [--thread-ids A,B] [--thread-ids-file F] [--channel C] [--from T]
    [--to T] [--limit N] [--concurrency N] [--retries N] [--judge-model M]
    [--judge-profile P] [--judge-threshold S] [--adjudication-band MIN,MAX]
    [--baseline ARTIFACT] [--out PATH] [--dry-run] [--keep-drafts] [--allow-empty] [--json]

Exit 0 when the gate passes, 1 when it does not, 2 on a usage error (one line, then the usage),
130 when interrupted (the run's drafts are deleted all the same).
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from inboxapp.cli_args import positive_int, workspace_id

from . import judge as judging
from . import replay_report as report
from .replay import CHANNEL_CHOICES, DEFAULT_LIMIT, ReplayOptions, ReplayUsageError, run


class UsageParser(argparse.ArgumentParser):
    """Usage errors: one line, then the usage; exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n{self.format_usage()}")


def _message_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a message id (UUID): {value.strip()!r}") from None


def _thread_ids(value: str) -> list[uuid.UUID]:
    ids = [_message_id(v) for v in value.split(",") if v.strip()]
    if not ids:
        raise argparse.ArgumentTypeError("give at least one inbound message id")
    return ids


def _manifest(value: str) -> list[uuid.UUID]:
    """A JSON list of ids or of ``{"messageId": ...}`` objects (or an artifact's ``cases``)."""
    try:
        data = json.loads(Path(value).read_text(encoding="utf-8"))
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"cannot read {value}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise argparse.ArgumentTypeError(f"{value} is not JSON") from None
    if isinstance(data, dict) and isinstance(data.get("cases"), list):
        data = data["cases"]
    if not isinstance(data, list) or not data:
        raise argparse.ArgumentTypeError(f"{value}: expected a non-empty JSON list of cases")
    ids = []
    for item in data:
        raw = item.get("messageId") if isinstance(item, dict) else item
        if not isinstance(raw, str):
            raise argparse.ArgumentTypeError(f"{value}: each case is an id or has a messageId")
        ids.append(_message_id(raw))
    return ids


def _instant(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date or time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _number(cast: type[int] | type[float], low: float, high: float | None = None) -> Any:
    """An argparse type: a whole (``int``) or any (``float``) number in ``low..high``."""
    kind = "whole number" if cast is int else "number"
    bounds = f"at least {low:g}" if high is None else f"between {low:g} and {high:g}"

    def parse(value: str) -> int | float:
        try:
            number = cast(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a {kind}: {value!r}") from None
        if not (low <= number and (high is None or number <= high)):
            raise argparse.ArgumentTypeError(f"must be {bounds}: {value!r}")
        return number

    return parse


_retries = _number(int, 0)
_score = _number(float, 0, 100)


def _band(value: str) -> tuple[float, float]:
    low, sep, high = value.partition(",")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected MIN,MAX: {value!r}")
    band = (_score(low.strip()), _score(high.strip()))
    if band[0] > band[1]:
        raise argparse.ArgumentTypeError(f"MIN must not be above MAX: {value!r}")
    return band


def _baseline(value: str) -> tuple[Path, dict[str, Any]]:
    path = Path(value)
    try:
        return path, report.load_baseline(path)
    except report.BaselineError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def options_from(args: argparse.Namespace) -> ReplayOptions:
    """The run's options (cross-option mistakes are usage errors)."""
    ids = [*(args.thread_ids or ()), *(args.thread_ids_file or ())]
    if args.client_id is None and not ids:
        raise ReplayUsageError("give --client-id (or --thread-ids / --thread-ids-file)")
    if args.start and args.end and args.start >= args.end:
        raise ReplayUsageError("--from must be before --to")
    return ReplayOptions(
        client_id=args.client_id,
        thread_ids=tuple(dict.fromkeys(ids)),
        channel=args.channel,
        start=args.start,
        end=args.end,
        limit=args.limit,
        concurrency=args.concurrency,
        retries=args.retries,
        judge_model=args.judge_model,
        judge_profile=args.judge_profile,
        judge_threshold=args.judge_threshold,
        band=args.band,
        baseline=args.baseline[0] if args.baseline else None,
        out=args.out,
        dry_run=args.dry_run,
        keep_drafts=args.keep_drafts,
        allow_empty=args.allow_empty,
    )


def cmd_replay(args: argparse.Namespace) -> int:
    from inboxapp.config import get_settings
    from inboxapp.logs import configure_logging

    configure_logging(get_settings().log_level)  # JSON on stderr, scrubbed; stdout is the report
    parser: UsageParser = args.replay_parser
    try:
        options = options_from(args)
        result = run(options, progress=report.ProgressBar())
    except ReplayUsageError as exc:
        parser.error(str(exc))
    data = report.artifact(result, args.baseline[1] if args.baseline else None)
    path = report.artifact_path(result)
    report.write(path, data)
    print("\n".join(report.lines(data, path)))
    if args.json:
        print(report.json_line(data, path))
    if result.interrupted:
        print("inboxapp: interrupted", file=sys.stderr)
        return 130
    return 0 if data["gate"]["passed"] else 1


SETTABLE = {
    "provider": str, "base_url": str, "model": str, "persona": str, "signature": str,
    "offer_facts": str, "booking_link": str, "tone": str, "auto_send_mode": str,
    "auto_send_delay_minutes": int,
}  # fmt: skip


def cmd_settings(args: argparse.Namespace) -> int:
    from inboxapp.ai import settings as ai_settings
    from inboxapp.errors import AppError

    changes: dict[str, Any] = {
        name: getattr(args, name) for name in SETTABLE if getattr(args, name) is not None
    }
    if args.api_key_stdin:
        changes["api_key"] = sys.stdin.readline().strip()
    try:
        if changes:
            ai_settings.save(args.client_id, changes)
        shown = ai_settings.public_view(ai_settings.load_for(args.client_id))
    except AppError as exc:
        print(f"inboxapp: error: {exc.message}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(shown))
    else:
        print("\n".join(f"{k:24} {str(v).replace(chr(10), ' / ')}" for k, v in shown.items()))
    return 0


def register(subparsers: Any) -> None:
    ai = subparsers.add_parser("ai", help="AI drafts: settings and the replay gate")
    actions = ai.add_subparsers(dest="action", required=True, parser_class=UsageParser)
    st = actions.add_parser(
        "settings", help="show (and with options, change) a workspace's AI settings"
    )
    st.add_argument("--client-id", type=workspace_id, metavar="ID", required=True)
    for name, kind in SETTABLE.items():
        st.add_argument(f"--{name.replace('_', '-')}", type=kind, metavar="V")
    st.add_argument("--api-key-stdin", action="store_true", help="read the API key from stdin")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_settings)
    p = actions.add_parser(
        "replay",
        help="regenerate and judge drafts for answered inbound messages",
        description="Exit 0: the gate passes (>= 85 percent of evaluated pass, 0 critical); 1: it"
        " does not; 2: usage error.",
    )
    p.add_argument("--client-id", type=workspace_id, metavar="ID", help="the workspace")
    p.add_argument("--thread-ids", type=_thread_ids, metavar="A,B", help="inbound message ids")
    p.add_argument(
        "--thread-ids-file", type=_manifest, metavar="F", help="JSON list of ids / {messageId}"
    )
    p.add_argument("--channel", choices=CHANNEL_CHOICES, default="any", help="(any)")
    p.add_argument("--from", dest="start", type=_instant, metavar="ISO", help="(30 days ago)")
    p.add_argument("--to", dest="end", type=_instant, metavar="ISO", help="(now)")
    p.add_argument("--limit", type=positive_int, metavar="N", help=f"cases ({DEFAULT_LIMIT})")
    p.add_argument("--concurrency", type=positive_int, default=3, metavar="N", help="(3)")
    p.add_argument("--retries", type=_retries, default=1, metavar="N", help="(1)")
    p.add_argument("--judge-model", metavar="M", help="LLM judge model (OpenAI-compatible)")
    p.add_argument(
        "--judge-profile",
        choices=tuple(judging.PROFILES),
        default=judging.DEFAULT_PROFILE,
        help=", ".join(f"{k} {v:.0f}" for k, v in judging.PROFILES.items()),
    )
    p.add_argument("--judge-threshold", type=_score, metavar="S", help="pass score 0..100")
    p.add_argument(
        "--adjudication-band",
        dest="band",
        type=_band,
        default=judging.DEFAULT_BAND,
        metavar="MIN,MAX",
        help="second LLM pass for scores inside (40,80)",
    )
    p.add_argument("--baseline", type=_baseline, metavar="ARTIFACT", help="an earlier run")
    p.add_argument("--out", type=Path, metavar="PATH", help="(.artifacts/ai-replay/run-*.json)")
    p.add_argument("--dry-run", action="store_true", help="select only; no database writes")
    p.add_argument("--keep-drafts", action="store_true", help="keep the replay drafts")
    p.add_argument("--allow-empty", action="store_true", help="exit 0 when nothing is selected")
    p.add_argument("--json", action="store_true", help="the summary as JSON, last line")
    p.set_defaults(func=cmd_replay, replay_parser=p)
