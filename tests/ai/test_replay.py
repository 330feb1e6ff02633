"""``python -m inboxapp ai replay`` on the demo data, in process, against real PostgreSQL.

The dry run changes no table (row counts and a checksum of every table); a real run drafts with
at most ``--concurrency`` cases in flight (an instrumented provider holds the first calls until
three are in flight) and removes its drafts; the gate's exit codes, the baseline comparison and
the usage errors are checked through the CLI itself. Stub providers speak the provider interface
(``inboxapp.ai.provider``) where a test needs a draft of a known quality.
"""

from __future__ import annotations

import io
import json
import shlex
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from inboxapp import cli
from inboxapp.ai import drafting
from inboxapp.ai import settings as ai_settings
from inboxapp.ai.local import LocalProvider
from inboxapp.ai.provider import DraftRequest, DraftResult, ProviderError
from inboxapp.ai.replay_report import ProgressBar
from inboxapp.config import PROJECT_ROOT
from inboxapp.db.engine import owner_session
from inboxapp.logs import configure_logging
from inboxapp.seed.demo import WORKSPACES, seed_demo
from tests import factories as f
from tests.ai.fake_openai import FakeOpenAI

ACME = str(WORKSPACES[0].id)
OLD_WINDOW = "--from 2001-01-01 --to 2001-02-01"
"""A window without any message."""


@pytest.fixture(scope="module", autouse=True)
def demo() -> None:
    configure_logging()  # here, not inside a test's capsys (the CLI would bind its stream)
    seed_demo()


def replay(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """Run ``ai replay`` with the arguments (each string split like a shell would):
    (exit status, stdout, stderr)."""
    argv = [w for a in args for w in (shlex.split(a) if isinstance(a, str) else [str(a)])]
    try:
        code = cli.main(["ai", "replay", *argv])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def last_json(out: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return data


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def snapshot() -> dict[str, tuple[int, str]]:
    """Row count and md5 of every row of every table (all schemas but the system ones)."""
    with owner_session() as s:
        tables = s.execute(
            sa.text(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables"
                " WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
            )
        ).scalars()
        return {
            t: tuple(
                s.execute(
                    sa.text(
                        f"SELECT count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text),"
                        f" '')) FROM {t} x"
                    )
                ).one()
            )
            for t in list(tables)
        }


def replay_drafts(run_id: str | None = None) -> int:
    with owner_session() as s:
        return int(
            s.execute(
                sa.text(
                    'SELECT count(*) FROM "AIDraft" WHERE "replayRunId" IS NOT NULL'
                    ' AND (CAST(:run AS text) IS NULL OR "replayRunId" = :run)'
                ),
                {"run": run_id},
            ).scalar_one()
        )


class StubProvider:
    """A provider of the interface whose draft is ``write(request)``."""

    name = "stub"

    def __init__(self, write: Callable[[DraftRequest], str]) -> None:
        self.write = write
        self.calls = 0
        self._lock = threading.Lock()

    def draft(self, request: DraftRequest) -> DraftResult:
        with self._lock:
            self.calls += 1
        return DraftResult(body=self.write(request), provider="stub", model="stub-1")

    def classify(self, message: Any) -> str:
        return "Interested"


def polite(request: DraftRequest) -> str:
    return f"Hi {request.lead.first_name or 'there'}, thanks for getting back to me. Would a quick call help?"


@pytest.fixture
def use_provider(monkeypatch: pytest.MonkeyPatch) -> Callable[[Any], Any]:
    def install(provider: Any) -> Any:
        monkeypatch.setattr(drafting, "provider_for", lambda settings: provider)
        return provider

    return install


# -- selection and the dry run -----------------------------------------------------------------


def test_dry_run_selects_20_per_demo_workspace_and_changes_no_table(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    before = snapshot()
    for ws in WORKSPACES:
        out_file = tmp_path / f"{ws.key}.json"
        code, out, _ = replay(
            capsys, f"--client-id {ws.id} --dry-run --limit 20 --json --out", out_file
        )
        assert code == 0, out
        summary = last_json(out)
        assert (summary["selected"], summary["evaluated"], summary["failed"]) == (20, 0, 0)
        assert f"run {summary['runId']}: selected=20, evaluated=0" in out
        art = load(out_file)
        assert len(art["cases"]) == 20 and art["options"]["dryRun"] is True
        sent = [c["sentAt"] for c in art["cases"]]
        assert sent == sorted(sent, reverse=True)  # newest first
        for case in art["cases"]:
            assert case["inbound"] and case["realReply"]["body"]
            assert case["realReply"]["sentBy"] in ("setter", "ai")
            assert case["realReply"]["sentAt"] > case["sentAt"]
            assert "draft" not in case
    assert snapshot() == before


def test_selection_filters_by_channel_window_and_thread_ids(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_file = tmp_path / "sms.json"
    code, _, _ = replay(capsys, f"--client-id {ACME} --dry-run --channel sms --out", out_file)
    assert code == 0
    cases = load(out_file)["cases"]
    assert cases and {c["channel"] for c in cases} == {"sms"}

    picked = [c["messageId"] for c in cases[:2]]
    with owner_session() as s:  # an inbound message nobody answered (the lead's last word)
        unanswered = s.execute(
            sa.text(
                'SELECT m.id FROM "Message" m WHERE m."clientId" = :c AND m.direction = \'inbound\''
                ' AND NOT EXISTS (SELECT 1 FROM "Message" n WHERE n."leadId" = m."leadId"'
                '   AND n."sentAt" > m."sentAt") LIMIT 1'
            ),
            {"c": ACME},
        ).scalar_one()
    manifest = tmp_path / "cases.json"
    manifest.write_text(json.dumps([{"messageId": picked[0]}, str(unanswered)]))
    code, out, _ = replay(
        capsys,
        f"--thread-ids {picked[1]} --dry-run --json --thread-ids-file",
        manifest,
        "--out",
        tmp_path / "ids.json",
    )
    assert code == 0
    art = load(tmp_path / "ids.json")
    assert art["options"]["clientId"] == ACME  # found from the messages
    assert sorted(c["messageId"] for c in art["cases"]) == sorted(picked)
    assert art["notSelected"] == [str(unanswered)]
    assert "not selected (no answered inbound message)" in out

    code, out, _ = replay(
        capsys, f"--client-id {ACME} --dry-run --json {OLD_WINDOW} --out", tmp_path / "old.json"
    )
    assert (code, last_json(out)["selected"]) == (1, 0)


def test_empty_selection_fails_unless_allowed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    window = f"--client-id {ACME} {OLD_WINDOW} --out {tmp_path / 'e.json'}"
    code, out, _ = replay(capsys, window)
    assert code == 1 and "gate: FAIL (nothing selected" in out
    code, out, _ = replay(capsys, window, "--allow-empty --json")
    assert code == 0 and last_json(out)["selected"] == 0


# -- evaluation ----------------------------------------------------------------------------------


class HoldUntilThree:
    """The local provider, instrumented: counts calls in flight; the first calls wait (on a
    condition, up to 10 s) until three are in flight at once."""

    name = "local"

    def __init__(self) -> None:
        self.inner = LocalProvider()
        self.cond = threading.Condition()
        self.now = self.peak = self.calls = 0

    def draft(self, request: DraftRequest) -> DraftResult:
        with self.cond:
            self.now += 1
            self.calls += 1
            self.peak = max(self.peak, self.now)
            self.cond.notify_all()
            self.cond.wait_for(lambda: self.peak >= 3, timeout=10)
        try:
            return self.inner.draft(request)
        finally:
            with self.cond:
                self.now -= 1

    def classify(self, message: Any) -> str:
        return self.inner.classify(message)


def test_limit_20_concurrency_3_evaluates_with_3_in_flight_and_removes_its_drafts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, use_provider: Callable[[Any], Any]
) -> None:
    provider = use_provider(HoldUntilThree())
    before = replay_drafts()
    out_file = tmp_path / "run.json"
    code, out, _ = replay(
        capsys, f"--client-id {ACME} --limit 20 --concurrency 3 --json --out", out_file
    )
    summary = last_json(out)
    assert code in (0, 1)
    assert (summary["selected"], summary["evaluated"], summary["failed"]) == (20, 20, 0)
    assert summary["passed"] + summary["failedJudge"] + summary["critical"] == 20
    assert provider.calls == 20 and provider.peak == 3
    art = load(out_file)
    assert art["maxInFlight"] == 3 and art["draftsDeleted"] == 20
    assert replay_drafts(summary["runId"]) == 0 and replay_drafts() == before
    for case in art["cases"]:
        assert case["draft"]["provider"] == "local" and case["draft"]["body"]
        assert 0 <= case["score"] <= 100 and case["reasons"]
        assert case["passed"] == (case["score"] >= 60 and not case["critical"])


def test_keep_drafts_keeps_them_as_replay_rows(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, use_provider: Callable[[Any], Any]
) -> None:
    use_provider(StubProvider(polite))
    code, out, _ = replay(
        capsys, f"--client-id {ACME} --limit 4 --keep-drafts --judge-threshold 0 --json --out",
        tmp_path / "k.json",
    )  # fmt: skip
    run_id = last_json(out)["runId"]
    try:
        assert code == 0 and replay_drafts(run_id) == 4
        with owner_session() as s:
            rows = s.execute(
                sa.text('SELECT status, body FROM "AIDraft" WHERE "replayRunId" = :r'),
                {"r": run_id},
            ).all()
        assert {r.status for r in rows} == {"replay"}
        assert all(r.body.startswith("Hi ") for r in rows)
        assert load(tmp_path / "k.json")["draftsDeleted"] == 0
    finally:
        drafting.delete_replay_drafts(uuid.UUID(ACME), run_id)


def test_gate_exit_codes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, use_provider: Callable[[Any], Any]
) -> None:
    base = f"--client-id {ACME} --limit 5 --json --out {tmp_path / 'g.json'}"
    use_provider(StubProvider(polite))
    code, out, _ = replay(capsys, base, "--judge-threshold 0")
    assert code == 0 and last_json(out)["passed"] == 5 and "gate: PASS" in out

    code, out, _ = replay(capsys, base, "--judge-threshold 100")
    summary = last_json(out)
    assert code == 1 and (summary["passed"], summary["failedJudge"]) == (0, 5)

    use_provider(StubProvider(lambda r: polite(r) + " Or write to sam@rival-leads.example"))
    code, out, _ = replay(capsys, base, "--judge-threshold 0")
    summary = last_json(out)
    assert code == 1 and summary["critical"] == 5 and "gate: FAIL (5 critical)" in out
    case = load(tmp_path / "g.json")["cases"][0]
    assert (
        case["critical"]
        and case["score"] == 0
        and case["reasons"][0].startswith("safety: FOREIGN_EMAIL")
    )


def test_provider_errors_are_retried_then_count_as_failed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, use_provider: Callable[[Any], Any]
) -> None:
    seen: set[uuid.UUID] = set()

    def flaky(request: DraftRequest) -> str:
        key = request.lead.id
        if key not in seen:
            seen.add(key)
            raise ProviderError("RATE_LIMITED", "429")
        return polite(request)

    use_provider(StubProvider(flaky))
    base = f"--client-id {ACME} --limit 3 --judge-threshold 0 --json"
    code, out, _ = replay(capsys, base, "--out", tmp_path / "r1.json")
    assert code == 0 and last_json(out)["failed"] == 0
    assert {c["attempts"] for c in load(tmp_path / "r1.json")["cases"]} == {2}

    seen.clear()
    code, out, _ = replay(capsys, base, "--retries 0 --out", tmp_path / "r0.json")
    summary = last_json(out)
    assert code == 1 and (summary["failed"], summary["evaluated"]) == (3, 0)
    assert {c["error"] for c in load(tmp_path / "r0.json")["cases"]} == {"RATE_LIMITED"}


def test_ctrl_c_stops_the_run_and_still_deletes_its_drafts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, use_provider: Callable[[Any], Any]
) -> None:
    def interrupt_third(request: DraftRequest) -> str:
        if provider.calls >= 3:  # the third call, and any the pool started before it stopped
            raise KeyboardInterrupt
        return polite(request)

    provider = use_provider(StubProvider(interrupt_third))
    code, _, err = replay(
        capsys, f"--client-id {ACME} --limit 6 --concurrency 1 --json --out", tmp_path / "c.json"
    )
    assert code == 130 and "interrupted" in err
    art = load(tmp_path / "c.json")
    assert art["interrupted"] and art["summary"]["evaluated"] == 2 and art["draftsDeleted"] == 2
    assert replay_drafts(art["runId"]) == 0 and provider.calls < 6


def test_baseline_reports_per_case_and_average_differences(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, use_provider: Callable[[Any], Any]
) -> None:
    base = f"--client-id {ACME} --limit 5 --json"
    use_provider(StubProvider(polite))
    replay(capsys, base, "--out", tmp_path / "before.json")
    before = load(tmp_path / "before.json")

    use_provider(StubProvider(lambda r: "Noted."))
    code, out, _ = replay(
        capsys, base, "--baseline", tmp_path / "before.json", "--out", tmp_path / "after.json"
    )
    after = load(tmp_path / "after.json")
    assert code == 1  # "Noted." is no answer
    diff = after["baseline"]
    assert diff["runId"] == before["runId"] and diff["matched"] == 5
    old = {c["messageId"]: c["score"] for c in before["cases"]}
    for row in diff["cases"]:
        assert row["baselineScore"] == old[row["messageId"]]
        assert row["delta"] == pytest.approx(row["score"] - row["baselineScore"], abs=0.01)
    expected = after["summary"]["averageScore"] - before["summary"]["averageScore"]
    assert diff["averageScoreDelta"] == pytest.approx(expected, abs=0.01) and expected < 0
    assert diff["regressed"] == 5
    assert f"baseline {before['runId']}: 5 matched, average {expected:+.2f}" in out
    assert last_json(out)["averageScoreDelta"] == diff["averageScoreDelta"]


def answered_workspace(leads: int) -> uuid.UUID:
    """A new workspace whose leads each wrote once and got a setter's answer an hour later."""
    ws = f.create_workspace(f"Replay {uuid.uuid4().hex[:6]}")
    now = datetime.now(UTC)
    for i in range(leads):
        lead = f.create_lead(ws, firstName=f"Robin{i}")
        f.create_message(
            lead, body="Quick question about your pipeline", sentAt=now - timedelta(hours=3)
        )
        f.create_message(
            lead,
            direction="inbound",
            body="Sounds interesting, tell me more",
            sentAt=now - timedelta(hours=2),
        )
        f.create_message(
            lead, source="zrg", sentBy="setter", body=f"Hi Robin{i}, happy to share more details!",
            sentAt=now - timedelta(hours=1),
        )  # fmt: skip
    return ws.id


def test_an_llm_judge_adjudicates_borderline_scores_and_its_usage_is_counted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    def responder(request: dict[str, Any]) -> str:
        if request["model"] != "judge-model":
            return "Thanks for your reply! Happy to share more details."
        if "borderline" in request["messages"][-1]["content"]:
            return '{"score": 75, "reasons": ["fine on a second look"]}'
        return 'Here you go: {"score": 55, "reasons": ["a bit vague"]}'

    fake_openai.responder = responder
    client_id = answered_workspace(3)
    ai_settings.save(client_id, {"provider": "openai", "base_url": fake_openai.base_url,
                                 "model": "draft-model", "api_key": "sk-test-key"})  # fmt: skip
    code, out, _ = replay(
        capsys,
        f"--client-id {client_id} --judge-model judge-model --json --out",
        tmp_path / "l.json",
    )
    art = load(tmp_path / "l.json")
    assert code == 0 and last_json(out)["evaluated"] == 3
    assert art["judge"] == {"method": "llm", "model": "judge-model"}
    for case in art["cases"]:
        assert (case["score"], case["judge"], case["draft"]["model"]) == (
            75,
            "llm+adjudicated",
            "draft-model",
        )
        assert case["reasons"] == ["llm (adjudicated, first pass 55): fine on a second look"]
    models = [r.json["model"] for r in fake_openai.completions()]
    assert sorted(models) == ["draft-model"] * 3 + ["judge-model"] * 6
    with owner_session() as s:
        usage = dict(
            s.execute(
                sa.text('SELECT model, requests FROM "AIUsage" WHERE "clientId" = :c'),
                {"c": client_id},
            ).all()
        )
    assert usage == {"draft-model": 3, "judge-model": 6}


def test_the_artifact_goes_to_dot_artifacts_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = replay(capsys, f"--client-id {ACME} --dry-run --limit 1 --json")
    path = Path(last_json(out)["artifact"])
    try:
        assert code == 0
        assert path.parent == PROJECT_ROOT / ".artifacts" / "ai-replay"
        assert path.name == f"run-{last_json(out)['runId']}.json" and path.exists()
    finally:
        path.unlink(missing_ok=True)


# -- usage errors --------------------------------------------------------------------------------


@pytest.fixture
def not_an_artifact(tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "x.json"
    path.write_text('{"cases": [{"score": 1}]}')
    yield str(path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dry-run"], "give --client-id"),
        (["--client-id", "acme"], "must be a workspace id"),
        (["--client-id", ACME, "--channel", "fax"], "invalid choice: 'fax'"),
        (["--client-id", ACME, "--limit", "0"], "must be at least 1"),
        (["--client-id", ACME, "--retries", "-1"], "must be at least 0"),
        (["--client-id", ACME, "--judge-threshold", "101"], "between 0 and 100"),
        (["--client-id", ACME, "--judge-profile", "kind"], "invalid choice: 'kind'"),
        (["--client-id", ACME, "--adjudication-band", "80,40"], "MIN must not be above MAX"),
        (["--client-id", ACME, "--from", "yesterday"], "not an ISO date"),
        (
            ["--client-id", ACME, "--from", "2026-02-01", "--to", "2026-01-01"],
            "--from must be before --to",
        ),
        (["--client-id", ACME, "--thread-ids", "a,b"], "not a message id"),
        (["--client-id", ACME, "--thread-ids-file", "/nonexistent/cases.json"], "cannot read"),
        (["--thread-ids", str(uuid.uuid4())], "belong to no workspace"),
        (["--client-id", ACME, "--judge-model", "gpt-4o-mini"], "--judge-model needs"),
        (["--client-id", ACME, "--baseline", "ARTIFACT"], "not a replay artifact"),
    ],
)
def test_usage_errors_exit_2_with_one_line_then_the_usage(
    capsys: pytest.CaptureFixture[str], not_an_artifact: str, args: list[str], message: str
) -> None:
    args = [not_an_artifact if a == "ARTIFACT" else a for a in args]
    before = replay_drafts()
    code, out, err = replay(capsys, *args)
    first, _, rest = err.partition("\n")
    assert code == 2 and out == ""
    assert first.startswith("inboxapp ai replay: error: ") and message in first
    assert rest.startswith("usage: inboxapp ai replay")
    assert replay_drafts() == before


# -- the progress bar ----------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_on_a_terminal_only() -> None:
    tty, pipe = Terminal(), io.StringIO()
    for stream in (tty, pipe):
        bar = ProgressBar(stream, width=10)
        bar(1, 4)
        bar(4, 4)
    assert tty.getvalue() == "\r[##........] 1/4\r[##########] 4/4\n"
    assert pipe.getvalue() == ""
