"""The replay gate: regenerate drafts for historical inbound messages and judge them.

A *case* is an inbound message of the workspace whose next message in the lead's thread is
our reply, sent by a setter or by the AI from an approved draft: that reply is the reference.
Messages of a tag that gets no draft and leads that opted out are no cases (the pipeline would
not draft for them either).
:func:`select` finds the cases (as the workspace service, so row level security keeps them in
the workspace), newest first. :func:`run` drafts each one again "as of" its inbound message
(``drafting.generate``), stores the draft with status ``replay`` under the run's id, judges it
(:mod:`.judge`) with at most ``concurrency`` cases in flight, deletes the run's drafts at the
end (unless ``keep_drafts``; also after an error or Ctrl-C) and writes the artifact
(:mod:`.replay_report`). ``dry_run`` selects only and writes nothing to the database.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from inboxapp.db.engine import owner_session, workspace_session
from inboxapp.domain.vocabulary import NO_DRAFT_TAGS
from inboxapp.logs import get_logger

from . import judge as judging
from .drafting import Outcome, delete_replay_drafts, generate, store
from .openai_compat import OpenAICompatProvider
from .provider import DraftResult, WorkspaceAI
from .safety import OPTED_OUT_STATUSES
from .settings import load_for
from .usage import record_usage

log = get_logger(__name__)

CHANNEL_CHOICES = ("any", "email", "sms", "linkedin")
DEFAULT_LIMIT = 20
DEFAULT_WINDOW = timedelta(days=30)
PASS_RATE = 0.85
"""The gate: at least this share of the evaluated cases pass, and none is critical."""


class ReplayUsageError(ValueError):
    """The options cannot select anything meaningful (the CLI exits 2 with this message)."""


@dataclass(frozen=True)
class ReplayOptions:
    client_id: uuid.UUID | None = None
    thread_ids: tuple[uuid.UUID, ...] = ()
    """Inbound message ids (the date window does not apply to them)."""
    channel: str = "any"
    start: datetime | None = None
    """Default: ``end`` minus 30 days."""
    end: datetime | None = None
    """Default: now."""
    limit: int | None = None
    """Default: 20 (or every given thread id)."""
    concurrency: int = 3
    retries: int = 1
    judge_model: str | None = None
    judge_profile: str = judging.DEFAULT_PROFILE
    judge_threshold: float | None = None
    band: tuple[float, float] = judging.DEFAULT_BAND
    baseline: Path | None = None
    out: Path | None = None
    dry_run: bool = False
    keep_drafts: bool = False
    allow_empty: bool = False

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        end = self.end or now
        return self.start or end - DEFAULT_WINDOW, end

    def case_limit(self) -> int:
        if self.limit is not None:
            return self.limit
        return len(self.thread_ids) if self.thread_ids else DEFAULT_LIMIT


@dataclass(frozen=True)
class Case:
    message_id: uuid.UUID
    lead_id: uuid.UUID
    channel: str
    sent_at: datetime
    inbound: str
    reply_id: uuid.UUID
    reply: str
    reply_by: str
    """``setter`` or ``ai`` (an approved draft)."""
    reply_at: datetime


@dataclass
class CaseResult:
    case: Case
    outcome: Outcome | None = None
    verdict: judging.Verdict | None = None
    draft_id: uuid.UUID | None = None
    attempts: int = 0
    error: str | None = None
    """Why no draft was judged (the provider's error code after the retries, or an exception)."""
    seconds: float = 0.0


@dataclass
class RunResult:
    run_id: str
    client_id: uuid.UUID
    options: ReplayOptions
    started_at: datetime
    window: tuple[datetime, datetime]
    cases: list[Case]
    not_selected: list[uuid.UUID] = field(default_factory=list)
    """Given thread ids that are no answered inbound message of the workspace."""
    results: list[CaseResult] = field(default_factory=list)
    judge_method: str = "rubric"
    judge_model: str | None = None
    threshold: float = judging.PROFILES[judging.DEFAULT_PROFILE]
    max_in_flight: int = 0
    drafts_deleted: int = 0
    interrupted: bool = False
    seconds: float = 0.0


# -- selection ---------------------------------------------------------------------------------

_SELECT = """
SELECT m.id, m."leadId", m.channel, m."sentAt", m.body,
       r.id AS reply_id, r.body AS reply, r."sentBy" AS reply_by, r."sentAt" AS reply_at
FROM "Message" m
JOIN "Lead" l ON l.id = m."leadId" AND l."clientId" = m."clientId"
JOIN LATERAL (
    SELECT n.id, n.body, n."sentBy", n."sentAt", n.direction, n."deliveryStatus"
    FROM "Message" n
    WHERE n."clientId" = m."clientId" AND n."leadId" = m."leadId"
      AND (n."sentAt", n.id) > (m."sentAt", m.id)
    ORDER BY n."sentAt", n.id LIMIT 1
) r ON r.direction = 'outbound' AND r."sentBy" IN ('setter', 'ai')
    AND coalesce(r."deliveryStatus", 'sent') = 'sent'
WHERE m."clientId" = :client AND m.direction = 'inbound'
  AND (m.sentiment IS NULL OR m.sentiment <> ALL(:no_draft))
  AND l.status <> ALL(:opted_out)
  AND (CAST(:channel AS text) IS NULL OR m.channel = :channel)
  AND {scope}
ORDER BY m."sentAt" DESC, m.id DESC
LIMIT :limit
"""


def select(client_id: uuid.UUID, options: ReplayOptions, *, now: datetime) -> list[Case]:
    """The answered inbound messages of the workspace, newest first, at most the limit."""
    params: dict[str, Any] = {
        "client": client_id,
        "no_draft": list(NO_DRAFT_TAGS),
        "opted_out": list(OPTED_OUT_STATUSES),
        "channel": None if options.channel == "any" else options.channel,
        "limit": options.case_limit(),
    }
    if options.thread_ids:
        scope = "m.id = ANY(:ids)"
        params["ids"] = list(options.thread_ids)
    else:
        scope = 'm."sentAt" >= :start AND m."sentAt" < :end'
        params["start"], params["end"] = options.window(now)
    with workspace_session(client_id) as s:
        rows = s.execute(sa.text(_SELECT.format(scope=scope)), params).all()
    return [
        Case(r.id, r.leadId, r.channel, r.sentAt, r.body, r.reply_id, r.reply, r.reply_by,
             r.reply_at)
        for r in rows
    ]  # fmt: skip


def workspace_of(message_ids: Sequence[uuid.UUID]) -> uuid.UUID:
    """The one workspace the given messages belong to (operator lookup, owner connection)."""
    with owner_session() as s:
        found = s.execute(
            sa.text('SELECT DISTINCT "clientId" FROM "Message" WHERE id = ANY(:ids)'),
            {"ids": list(message_ids)},
        ).scalars()
        clients = list(found)
    if len(clients) != 1:
        what = "no workspace" if not clients else f"{len(clients)} workspaces"
        raise ReplayUsageError(f"the thread ids belong to {what}: give --client-id")
    return uuid.UUID(str(clients[0]))


# -- evaluation --------------------------------------------------------------------------------


class InFlight:
    """Counts the cases being evaluated at once (and the most there ever were)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 0
        self.peak = 0

    @contextmanager
    def one(self) -> Iterator[None]:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            yield
        finally:
            with self._lock:
                self.now -= 1


@dataclass(frozen=True)
class _Context:
    run_id: str
    client_id: uuid.UUID
    options: ReplayOptions
    settings: WorkspaceAI | None
    llm: judging.JudgeModel | None
    threshold: float
    flight: InFlight


def _evaluate(case: Case, ctx: _Context) -> CaseResult:
    result = CaseResult(case)
    start = time.perf_counter()
    with ctx.flight.one():
        try:
            outcome = _generate(case, ctx, result)
            if outcome is not None:
                result.outcome = outcome
                result.draft_id = store(
                    ctx.client_id, outcome, status="replay", replay_run_id=ctx.run_id
                )
                result.verdict = judging.judge(
                    outcome,
                    case.reply,
                    threshold=ctx.threshold,
                    profile=ctx.options.judge_profile,
                    llm=ctx.llm,
                    band=ctx.options.band,
                )
        except Exception as exc:  # one broken case must not hide the others' results
            result.error = f"exception: {type(exc).__name__}"
            log.exception("ai.replay.case_error", messageId=str(case.message_id))
    result.seconds = round(time.perf_counter() - start, 3)
    return result


def _generate(case: Case, ctx: _Context, result: CaseResult) -> Outcome | None:
    """The outcome once the provider answered; None after ``retries`` more provider errors."""
    for _ in range(1 + ctx.options.retries):
        result.attempts += 1
        outcome = generate(ctx.client_id, case.message_id, settings=ctx.settings)
        if outcome.error_code is None:
            return outcome
        result.error = outcome.error_code
    log.warning(
        "ai.replay.generation_failed", messageId=str(case.message_id), errorCode=result.error
    )
    return None


Progress = Callable[[int, int], None]


def _evaluate_all(
    cases: list[Case], ctx: _Context, progress: Progress | None
) -> tuple[list[CaseResult], bool]:
    """Every case's result (in selection order) and whether Ctrl-C cut the run short."""
    pool = ThreadPoolExecutor(ctx.options.concurrency, thread_name_prefix="ai-replay")
    futures: dict[Future[CaseResult], int] = {}
    done: dict[int, CaseResult] = {}
    interrupted = False
    try:
        futures = {pool.submit(_evaluate, case, ctx): i for i, case in enumerate(cases)}
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                done[futures[future]] = future.result()
            if progress:
                progress(len(done), len(cases))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # nothing still storing after the cleanup
    for future, i in futures.items():
        if i not in done and future.done() and not future.cancelled() and not future.exception():
            done[i] = future.result()
    return [done[i] for i in sorted(done)], interrupted


class AccountedJudge:
    """The LLM judge; each of its calls is counted in the workspace's ``AIUsage`` (it spends
    the workspace's key like a draft does)."""

    def __init__(self, llm: OpenAICompatProvider, client_id: uuid.UUID) -> None:
        self.llm = llm
        self.client_id = client_id

    def complete(self, messages: list[dict[str, str]], *, max_tokens: int) -> tuple[str, Any]:
        text, usage = self.llm.complete(messages, max_tokens=max_tokens)
        spent = DraftResult(
            "", self.llm.name, self.llm.model, usage.prompt_tokens, usage.completion_tokens,
            usage.cost_micros,
        )  # fmt: skip
        with workspace_session(self.client_id) as s:
            record_usage(s, self.client_id, spent)
        return text, usage


def _judge_model(
    client_id: uuid.UUID, settings: WorkspaceAI | None, model: str | None
) -> tuple[AccountedJudge | None, str | None]:
    """An LLM judge (and its model) when the workspace drafts through an OpenAI-compatible
    server (``model`` overrides the workspace's); none (the rubric) otherwise."""
    if settings is None or settings.provider != "openai":
        if model:
            raise ReplayUsageError(
                "--judge-model needs a workspace on an OpenAI-compatible provider"
            )
        return None, None
    llm = OpenAICompatProvider.from_settings(settings, **({"model": model} if model else {}))
    return AccountedJudge(llm, client_id), llm.model


def new_run_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def run(options: ReplayOptions, *, progress: Progress | None = None) -> RunResult:
    """Select, evaluate (unless dry-run), clean up; the caller writes the artifact."""
    started = datetime.now(UTC)
    threshold = judging.threshold_for(options.judge_profile, options.judge_threshold)
    client_id = options.client_id or workspace_of(options.thread_ids)
    settings = None if options.dry_run else load_for(client_id)
    llm, judge_model = (
        (None, None) if options.dry_run else _judge_model(client_id, settings, options.judge_model)
    )
    cases = select(client_id, options, now=started)
    picked = {c.message_id for c in cases}
    report = RunResult(
        run_id=new_run_id(started),
        client_id=client_id,
        options=options,
        started_at=started,
        window=options.window(started),
        cases=cases,
        not_selected=[i for i in options.thread_ids if i not in picked],
        judge_method="llm" if llm else "rubric",
        judge_model=judge_model,
        threshold=threshold,
    )
    log.info("ai.replay.started", runId=report.run_id, clientId=str(client_id), cases=len(cases))
    if options.dry_run or not cases:
        return _finish(report)
    ctx = _Context(report.run_id, client_id, options, settings, llm, threshold, InFlight())
    try:
        report.results, report.interrupted = _evaluate_all(cases, ctx, progress)
    finally:
        report.max_in_flight = ctx.flight.peak
        if not options.keep_drafts:
            report.drafts_deleted = delete_replay_drafts(client_id, report.run_id)
    return _finish(report)


def _finish(report: RunResult) -> RunResult:
    report.seconds = round((datetime.now(UTC) - report.started_at).total_seconds(), 3)
    log.info("ai.replay.finished", runId=report.run_id, seconds=report.seconds)
    return report
