"""What a replay run reports: the summary and gate, the JSON artifact, the baseline comparison,
the human lines and the terminal progress bar.

The artifact (``.artifacts/ai-replay/run-<run id>.json`` unless ``--out``) holds the run id,
the options, every case's inputs (ids, inbound text, the real reply), the draft, score,
reasons, critical and passed, the summary and, with ``--baseline``, the differences per case
(matched by inbound message id) and of the average score.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from inboxapp.config import PROJECT_ROOT

from .replay import PASS_RATE, CaseResult, RunResult

ARTIFACT_DIR = Path(".artifacts") / "ai-replay"


class BaselineError(ValueError):
    """The baseline file is no replay artifact."""


# -- summary and gate --------------------------------------------------------------------------


def summary(run: RunResult) -> dict[str, Any]:
    """``{selected, evaluated, passed, failedJudge, failed, critical, averageScore}``."""
    judged = [r.verdict for r in run.results if r.verdict is not None]
    scores = [v.score for v in judged]
    return {
        "selected": len(run.cases),
        "evaluated": len(judged),
        "passed": sum(v.passed for v in judged),
        "failedJudge": sum(not v.passed and not v.critical for v in judged),
        "failed": sum(r.verdict is None for r in run.results),
        "critical": sum(v.critical for v in judged),
        "averageScore": round(sum(scores) / len(scores), 2) if scores else None,
    }


@dataclass(frozen=True)
class Gate:
    passed: bool
    reason: str
    pass_rate: float | None


def gate(run: RunResult, counts: dict[str, Any]) -> Gate:
    """>= 85 % of the evaluated cases pass and none is critical (something must be selected,
    and evaluated unless dry-run, except with ``allow_empty`` for an empty selection). A case
    whose draft could not be generated counts as a case that did not pass: a provider failing
    half the time must not pass the gate."""
    evaluated, selected = counts["evaluated"], counts["selected"]
    attempted = evaluated + counts["failed"]
    rate = counts["passed"] / attempted if evaluated else None
    if run.interrupted:
        return Gate(False, "interrupted", rate)
    if selected == 0:
        if run.options.allow_empty:
            return Gate(True, "nothing selected (allowed)", None)
        return Gate(False, "nothing selected (--allow-empty accepts that)", None)
    if run.options.dry_run:
        return Gate(True, f"dry run: {selected} selected", None)
    if rate is None:
        return Gate(False, "nothing evaluated: every generation failed", None)
    if counts["critical"]:
        return Gate(False, f"{counts['critical']} critical", rate)
    if rate < PASS_RATE:
        return Gate(False, f"{rate:.0%} passed, below {PASS_RATE:.0%}", rate)
    return Gate(True, f"{rate:.0%} passed, 0 critical", rate)


# -- the artifact ------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _case_json(result: CaseResult) -> dict[str, Any]:
    case, outcome, verdict = result.case, result.outcome, result.verdict
    draft = None
    if outcome is not None:
        res = outcome.result
        draft = {
            "id": str(result.draft_id) if result.draft_id else None,
            "body": outcome.body,
            "provider": res.provider if res else None,
            "model": res.model if res else None,
        }
    return {
        **_inputs(case),
        "draft": draft,
        "attempts": result.attempts,
        "error": result.error if verdict is None else None,
        "safety": [asdict(f) for f in outcome.failures] if outcome else [],
        "score": verdict.score if verdict else None,
        "passed": verdict.passed if verdict else False,
        "critical": verdict.critical if verdict else False,
        "reasons": verdict.reasons if verdict else [],
        "judge": verdict.method if verdict else None,
        "seconds": result.seconds,
    }


def _inputs(case: Any) -> dict[str, Any]:
    return {
        "messageId": str(case.message_id),
        "leadId": str(case.lead_id),
        "channel": case.channel,
        "sentAt": _iso(case.sent_at),
        "inbound": case.inbound,
        "realReply": {
            "messageId": str(case.reply_id),
            "sentBy": case.reply_by,
            "sentAt": _iso(case.reply_at),
            "body": case.reply,
        },
    }


def _options_json(run: RunResult) -> dict[str, Any]:
    o = run.options
    return {
        "clientId": str(run.client_id),
        "threadIds": [str(i) for i in o.thread_ids],
        "channel": o.channel,
        "from": _iso(run.window[0]) if not o.thread_ids else None,
        "to": _iso(run.window[1]) if not o.thread_ids else None,
        "limit": o.case_limit(),
        "concurrency": o.concurrency,
        "retries": o.retries,
        "judgeModel": o.judge_model,
        "judgeProfile": o.judge_profile,
        "judgeThreshold": run.threshold,
        "adjudicationBand": list(o.band),
        "baseline": str(o.baseline) if o.baseline else None,
        "dryRun": o.dry_run,
        "keepDrafts": o.keep_drafts,
        "allowEmpty": o.allow_empty,
    }


def artifact(run: RunResult, baseline: dict[str, Any] | None = None) -> dict[str, Any]:
    """The run as one JSON-ready object."""
    counts = summary(run)
    verdict = gate(run, counts)
    by_id = {r.case.message_id: r for r in run.results}
    cases = [
        _case_json(by_id[c.message_id]) if c.message_id in by_id else _inputs(c) for c in run.cases
    ]
    data = {
        "runId": run.run_id,
        "startedAt": _iso(run.started_at),
        "seconds": run.seconds,
        "options": _options_json(run),
        "judge": {"method": run.judge_method, "model": run.judge_model},
        "summary": counts,
        "gate": {"passed": verdict.passed, "reason": verdict.reason, "passRate": verdict.pass_rate},
        "maxInFlight": run.max_in_flight,
        "draftsDeleted": run.drafts_deleted,
        "interrupted": run.interrupted,
        "notSelected": [str(i) for i in run.not_selected],
        "cases": cases,
    }
    data["baseline"] = compare(data, baseline) if baseline is not None else None
    return data


def artifact_path(run: RunResult) -> Path:
    if run.options.out is not None:
        return run.options.out
    return PROJECT_ROOT / ARTIFACT_DIR / f"run-{run.run_id}.json"


def write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


# -- the baseline ------------------------------------------------------------------------------


def load_baseline(path: Path) -> dict[str, Any]:
    """An earlier run's artifact (raises :class:`BaselineError` for anything else)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BaselineError(f"{path} is not JSON") from None
    if not (isinstance(data, dict) and isinstance(data.get("cases"), list)):
        raise BaselineError(f"{path} is not a replay artifact (no cases)")
    if not all(isinstance(c, dict) and "messageId" in c for c in data["cases"]):
        raise BaselineError(f"{path} is not a replay artifact (a case without messageId)")
    return data


def _score(case: dict[str, Any]) -> float | None:
    value = case.get("score")
    return float(value) if isinstance(value, int | float) else None


def compare(current: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    """Per-case score differences (matched by inbound message id) and of the average."""
    before = {str(c["messageId"]): c for c in baseline["cases"]}
    rows = []
    for case in current["cases"]:
        old = before.get(case["messageId"])
        if old is None:
            continue
        now_s, old_s = _score(case), _score(old)
        delta = round(now_s - old_s, 2) if now_s is not None and old_s is not None else None
        rows.append(
            {
                "messageId": case["messageId"],
                "score": now_s,
                "baselineScore": old_s,
                "delta": delta,
                "passed": case.get("passed"),
                "baselinePassed": old.get("passed"),
            }
        )
    deltas = [r["delta"] for r in rows if r["delta"] is not None]
    avg_now = current["summary"]["averageScore"]
    avg_old = (baseline.get("summary") or {}).get("averageScore")
    both = isinstance(avg_now, int | float) and isinstance(avg_old, int | float)
    here = {c["messageId"] for c in current["cases"]}
    return {
        "runId": baseline.get("runId"),
        "matched": len(rows),
        "onlyHere": len(here - before.keys()),
        "onlyInBaseline": len(before.keys() - here),
        "averageScore": avg_old,
        "averageScoreDelta": round(avg_now - avg_old, 2) if both else None,
        "matchedAverageDelta": round(sum(deltas) / len(deltas), 2) if deltas else None,
        "improved": sum(d > 0 for d in deltas),
        "regressed": sum(d < 0 for d in deltas),
        "cases": rows,
    }


# -- output ------------------------------------------------------------------------------------


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def lines(data: dict[str, Any], path: Path) -> list[str]:
    """The human report: one line per judged case, the summary, the baseline, the gate."""
    out = []
    for case in data["cases"]:
        if "score" not in case:
            continue
        mark = "CRIT" if case["critical"] else "pass" if case["passed"] else "FAIL"
        score = "  -  " if case["score"] is None else f"{case['score']:5.1f}"
        notes = [r for r in case["reasons"] if not r.startswith("rubric:")]
        note = case["error"] or (notes[0] if notes else "")
        out.append(f"  {mark} {score}  {case['messageId']}  {case['channel']:<8} {note}".rstrip())
    s = data["summary"]
    avg = "n/a" if s["averageScore"] is None else f"{s['averageScore']:.2f}"
    out.append(
        f"run {data['runId']}: selected={s['selected']}, evaluated={s['evaluated']},"
        f" passed={s['passed']}, failedJudge={s['failedJudge']}, failed={s['failed']},"
        f" critical={s['critical']}, averageScore={avg}"
    )
    base = data.get("baseline")
    if base:
        out.append(
            f"baseline {base['runId']}: {base['matched']} matched,"
            f" average {_signed(base['averageScoreDelta'])}"
            f" (matched cases {_signed(base['matchedAverageDelta'])}),"
            f" {base['improved']} better, {base['regressed']} worse"
        )
        out.extend(
            f"  {r['messageId']}  {r['baselineScore']} -> {r['score']}  ({_signed(r['delta'])})"
            for r in base["cases"]
            if r["delta"]
        )
    if data["notSelected"]:
        out.append(f"not selected (no answered inbound message): {', '.join(data['notSelected'])}")
    out.append(f"artifact: {path}")
    gate_ = data["gate"]
    out.append(f"gate: {'PASS' if gate_['passed'] else 'FAIL'} ({gate_['reason']})")
    return out


def json_line(data: dict[str, Any], path: Path) -> str:
    """The summary as one JSON object (the last line with ``--json``)."""
    base = data.get("baseline") or {}
    extra = {"averageScoreDelta": base.get("averageScoreDelta")} if base else {}
    return json.dumps(
        {
            "runId": data["runId"],
            **data["summary"],
            **extra,
            "gate": "pass" if data["gate"]["passed"] else "fail",
            "artifact": str(path),
        }
    )


class ProgressBar:
    """``[#####.....] 7/20`` redrawn on a terminal's stderr; silent when it is no terminal."""

    def __init__(self, stream: IO[str] | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.enabled = self.stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        filled = self.width * done // total
        bar = "#" * filled + "." * (self.width - filled)
        end = "\n" if done >= total else ""
        self.stream.write(f"\r[{bar}] {done}/{total}{end}")
        self.stream.flush()
