"""The release gate (``make release-check``): every quality gate, the switch stress on the
production build, the benchmarks' quick mode, and a short report.

    python -m inboxapp.tools.release_check [--switches 200] [--skip tests,benchmarks]
        [--report docs/release-report.md] [--template docs/release-report.template.md]

Gates, in order (each one runs even when an earlier one failed, so the report is complete):

1. ``lint``: ``ruff check`` and ``ruff format --check``.
2. ``typecheck``: ``mypy``.
3. ``build``: ``reflex export --frontend-only`` (the production build).
4. ``tests``: ``make pytest`` (the whole suite, browser tests included; ``make test`` = 1-4).
5. ``switch-stress``: an isolated stack (a scratch database on the admin server, migrated and
   seeded with the demo, a private redis-server, a job worker and ``reflex run --env prod`` on a
   free port with the loop detector on, ``DebugSettings.loops``), then
   :mod:`inboxapp.tools.switch_stress` (200 switches over inbox and analytics as
   ``morgan@agency.demo``, with ``inboxapp simulate`` writing into the workspace meanwhile and
   the server log checked for loop warnings). The stack is stopped and the scratch database
   dropped afterwards.
6. ``bench:<name>``: ``benchmarks.jobs --quick`` and ``benchmarks.realtime --quick`` (each
   with its own scratch database), ``benchmarks.read_path --runs 5`` and
   ``benchmarks.analytics --quick`` (against the release database); ``counts`` and
   ``inbox_list`` need the 1M-lead scale database and run only with
   ``ToolSettings.scale_database_url`` set. A benchmark module added later runs with ``--quick``
   against the release database when it offers that flag, else it is listed as skipped.

The report (``docs/release-report.md``) is rendered from ``docs/release-report.template.md``:
pass/fail and duration per gate, the switch figures, and the tail of each benchmark's output.
Exit code 0 only when no gate failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inboxapp.config import DebugSettings, ToolSettings, env_name, tool_settings
from inboxapp.domain.roles import Role
from inboxapp.processes import reflex_env, stop_group
from inboxapp.tools.prod_server import ProdServer, free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
PYTHON = str(BIN / "python") if (BIN / "python").exists() else sys.executable
ADMIN_URL = os.environ.get(
    "TEST_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
STRESS_USER = os.environ.get("SWITCH_STRESS_USER", "morgan@agency.demo")
REPORT = ROOT / "docs" / "release-report.md"
TEMPLATE = ROOT / "docs" / "release-report.template.md"
GATES = ("lint", "typecheck", "build", "tests", "switch-stress", "benchmarks")
KNOWN_BENCHMARKS: dict[str, tuple[list[str], str]] = {
    # name -> (arguments, where it runs: "own" scratch db, "release" db, "scale" db)
    "jobs": (["--quick"], "own"),
    "read_path": (["--runs", "5", "--concurrency", "50"], "release"),
    "counts": (["--runs", "5", "--fresh", "5"], "scale"),
    "inbox_list": (["--runs", "3"], "scale"),
    "analytics": (["--quick"], "release"),
    "realtime": (["--quick", "--sessions", "20", "--rounds", "2", "--interval", "1"], "own"),
    "webhooks": (["--quick"], "own"),
}
"""Benchmarks not listed run with ``--quick`` against the release database when they offer it."""
TAIL_LINES = 12
WEB_WORKDIR = ROOT / ".data" / "release-web"
KEEP_AS_IS = (
    ROOT / ".gitignore",
    ROOT / "reflex.lock" / "package.json",
    ROOT / "reflex.lock" / "bun.lock",
)


@dataclass
class Gate:
    name: str
    status: str = "skipped"  # passed | failed | skipped
    seconds: float = 0.0
    detail: str = ""
    output: str = ""
    figures: dict[str, Any] = field(default_factory=dict)


def _log(message: str) -> None:
    print(f"\n==> {message}", flush=True)


def _tail(text: str, lines: int = TAIL_LINES) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


LOG_DIR: Path | None = None
"""Where every gate's full output is written (``<gate>.log``); set by :func:`main`."""


def _save(gate: Gate) -> None:
    if LOG_DIR is not None and gate.output:
        path = LOG_DIR / (re.sub(r"[^A-Za-z0-9_.-]", "_", gate.name) + ".log")
        with path.open("a") as fh:
            fh.write(gate.output)


def run_gate(
    name: str, cmd: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = 1800
) -> Gate:
    _log(f"{name}: {' '.join(cmd)}")
    gate = Gate(name)
    started = time.monotonic()
    try:
        proc = subprocess.run(  # noqa: S603 (fixed commands)
            list(cmd),
            cwd=ROOT,
            env=env or dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
        output = proc.stdout.decode(errors="replace")
        gate.status = "passed" if proc.returncode == 0 else "failed"
        gate.detail = f"exit {proc.returncode}"
    except subprocess.TimeoutExpired as exc:
        output = (exc.stdout or b"").decode(errors="replace")
        gate.status, gate.detail = "failed", f"timed out after {timeout:.0f} s"
    gate.seconds = time.monotonic() - started
    gate.output = output
    _save(gate)
    print(_tail(output, 25), flush=True)
    print(f"--> {name}: {gate.status} ({gate.detail}, {gate.seconds:.0f} s)", flush=True)
    return gate


# -- the isolated production stack -----------------------------------------------------------


def _db_url(admin: str, name: str) -> str:
    base, _, query = admin.partition("?")
    return base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")


@dataclass
class Stack:
    url: str
    env: dict[str, str]
    log_path: Path
    demo: dict[str, Any]


@contextlib.contextmanager
def prod_stack(workdir: Path, start_timeout_s: float = 240) -> Iterator[Stack]:
    """Scratch database + private Redis + worker + the production build; all torn down after."""
    import psycopg

    from inboxapp.config import libpq_url

    name = f"inboxapp_release_{secrets.token_hex(4)}"
    redis_port, app_port = free_port(), free_port()
    procs: list[subprocess.Popen[bytes]] = []
    servers: list[ProdServer] = []
    gitignore = ROOT / ".gitignore"
    gitignore_before = gitignore.read_bytes() if gitignore.exists() else None
    with psycopg.connect(libpq_url(ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        redis_bin = shutil.which("redis-server") or "redis-server"
        procs.append(
            subprocess.Popen(  # noqa: S603
                [
                    redis_bin,
                    "--port",
                    str(redis_port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                stdout=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        env = reflex_env(app_port)
        for key in ("APP_DATABASE_URL", "SUPABASE_URL", "REFLEX_REDIS_URL"):
            env.pop(key, None)
        env.update(
            DATABASE_URL=_db_url(ADMIN_URL, name),
            REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
            JWT_SECRET=env.get("JWT_SECRET") or secrets.token_urlsafe(48),
            LOG_LEVEL="INFO",
            REFLEX_WEB_WORKDIR=os.environ.get("REFLEX_WEB_WORKDIR") or str(WEB_WORKDIR),
        )
        env[env_name(DebugSettings, "loops")] = "1"
        subprocess.run([PYTHON, "-m", "inboxapp", "migrate"], cwd=ROOT, env=env, check=True)  # noqa: S603
        seeded = subprocess.run(  # noqa: S603
            [PYTHON, "-m", "inboxapp", "seed", "--demo", "--json"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.PIPE,
        )
        demo = json.loads(seeded.stdout.decode())
        log_path = workdir / "release-app.log"
        server = ProdServer(
            log_path,
            env=env,
            port=app_port,
            worker=True,
            worker_log=workdir / "release-worker.log",
        )
        servers.append(server)
        server.wait_ready(start_timeout_s)
        base = server.base
        yield Stack(url=base, env=env, log_path=log_path, demo=demo)
    finally:
        for server in servers:
            server.stop()
        for proc in reversed(procs):
            stop_group(proc)
        with psycopg.connect(libpq_url(ADMIN_URL), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        # Initializing a fresh web directory rewrites .gitignore: leave the checkout as it was.
        if gitignore_before is not None and gitignore.read_bytes() != gitignore_before:
            gitignore.write_bytes(gitignore_before)


def stress_user(demo: dict[str, Any]) -> tuple[str, str]:
    """(email, a workspace id) of the demo user with the most workspaces (morgan by default)."""
    users = demo.get("users", [])
    chosen = next((u for u in users if u.get("email") == STRESS_USER), None)
    if chosen is None:
        chosen = max(users, key=lambda u: len(u.get("roles", {})))
    roles: dict[str, str] = chosen.get("roles", {})
    # Simulated traffic goes to a workspace where the user sees everything (not a setter one).
    workspace = next((cid for cid, r in roles.items() if r != Role.SETTER), next(iter(roles)))
    return str(chosen["email"]), workspace


def switch_stress_gate(stack: Stack, switches: int, workdir: Path) -> Gate:
    email, workspace = stress_user(stack.demo)
    report_file = workdir / "switch-stress.json"
    cmd = [
        PYTHON,
        "-m",
        "inboxapp.tools.switch_stress",
        "--url",
        stack.url,
        "--user",
        email,
        "--password-stdin",
        "--switches",
        str(switches),
        "--pages",
        "inbox,analytics",
        "--realtime-client-id",
        workspace,
        "--server-log",
        str(stack.log_path),
        "--report-file",
        str(report_file),
        "--screenshots",
        str(workdir),
    ]
    _log(f"switch-stress: {' '.join(cmd)}")
    gate = Gate("switch-stress")
    started = time.monotonic()
    proc = subprocess.run(  # noqa: S603
        cmd,
        cwd=ROOT,
        env=stack.env,
        input=(str(stack.demo.get("password", "")) + "\n").encode(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=1200,
        check=False,
    )
    gate.seconds = time.monotonic() - started
    gate.output = proc.stdout.decode(errors="replace")
    gate.status = "passed" if proc.returncode == 0 else "failed"
    gate.detail = f"exit {proc.returncode}"
    if report_file.exists():
        gate.figures = json.loads(report_file.read_text())
    _save(gate)
    print(gate.output, flush=True)
    return gate


# -- benchmarks ------------------------------------------------------------------------------


def benchmark_names() -> list[str]:
    return sorted(
        p.stem
        for p in (ROOT / "benchmarks").glob("*.py")
        if p.stem not in ("__init__", "common") and not p.stem.startswith("_")
    )


def _offers_quick(name: str) -> bool:
    text = (ROOT / "benchmarks" / f"{name}.py").read_text()
    return '"--quick"' in text


def benchmark_gates(release_env: dict[str, str] | None) -> list[Gate]:
    gates: list[Gate] = []
    scale_url = tool_settings().scale_database_url
    for name in benchmark_names():
        args, where = KNOWN_BENCHMARKS.get(name, (["--quick"], "release"))
        if name not in KNOWN_BENCHMARKS and not _offers_quick(name):
            gates.append(Gate(f"bench:{name}", "skipped", detail="no --quick mode"))
            continue
        env = dict(os.environ)
        if where == "scale":
            if not scale_url:
                needs = env_name(ToolSettings, "scale_database_url")
                gates.append(Gate(f"bench:{name}", detail=f"needs {needs} (1M leads)"))
                continue
            env["DATABASE_URL"] = scale_url
        elif where == "release":
            if release_env is None:
                gates.append(Gate(f"bench:{name}", detail="no release database (stress skipped)"))
                continue
            env = dict(release_env)
        gates.append(
            run_gate(f"bench:{name}", [PYTHON, "-m", f"benchmarks.{name}", *args], env=env)
        )
    return gates


# -- report ----------------------------------------------------------------------------------

DEFAULT_TEMPLATE = """# Release report

{{summary}}

{{gates}}

## Switch stress

{{switch}}

## Benchmarks (quick mode)

{{benchmarks}}
"""


def _fmt_s(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.0f} s"


def _pytest_line(output: str) -> str:
    lines = [ln for ln in output.splitlines() if re.search(r"\d+ (passed|failed)", ln)]
    return lines[-1].strip("= ") if lines else ""


def render_report(gates: list[Gate], total_s: float, template: str, meta: dict[str, str]) -> str:
    failed = [g.name for g in gates if g.status == "failed"]
    skipped = [g.name for g in gates if g.status == "skipped"]
    verdict = "**PASS**" if not failed else f"**FAIL** ({', '.join(failed)})"
    if skipped:
        verdict += f", skipped: {', '.join(skipped)}"
    summary = (
        f"{verdict}. Generated {meta['when']} on `{meta['host']}` at commit `{meta['commit']}`"
        f" by `make release-check` in {_fmt_s(total_s)}."
    )
    rows = ["| gate | result | time | detail |", "|---|---|---|---|"]
    for g in gates:
        detail = g.detail
        if g.name == "tests":
            detail = _pytest_line(g.output) or detail
        rows.append(f"| {g.name} | {g.status} | {_fmt_s(g.seconds)} | {detail} |")
    failing = [
        ln.strip()
        for g in gates
        if g.name == "tests" and g.status == "failed"
        for ln in g.output.splitlines()
        if ln.startswith(("FAILED ", "ERROR "))
    ]
    if failing:
        shown = [f"- `{ln[:160]}`" for ln in failing[:15]]
        more = f"\n- ... and {len(failing) - 15} more" if len(failing) > 15 else ""
        rows.append("\nFailing tests:\n\n" + "\n".join(shown) + more)
    stress = next((g for g in gates if g.name == "switch-stress"), None)
    if stress is None or not stress.figures:
        switch = f"Not run ({stress.detail if stress else 'skipped'})."
    else:
        f = stress.figures
        switch = "\n".join(
            [
                "| figure | value |",
                "|---|---|",
                f"| switches done | {f.get('switches_done')} / {f.get('switches_requested')}"
                f" ({f.get('mid_load_switches')} mid-load) |",
                f"| pages | {', '.join(f.get('pages') or [])}"
                + (f" (skipped: {f.get('skipped_pages')})" if f.get("skipped_pages") else "")
                + " |",
                f"| switch-to-rendered p50 / p95 / max | {f.get('p50_ms')} / {f.get('p95_ms')}"
                f" / {f.get('max_ms')} ms |",
                f"| console errors (React render loops) | {f.get('console_error_count')}"
                f" ({f.get('react_errors')}) |",
                f"| stuck spinners | {f.get('stuck_spinners')} |",
                f"| duplicate layouts | {f.get('duplicate_layouts')} |",
                f"| URL mismatches | {f.get('url_mismatches')} |",
                f"| loop warnings (server log / browser) | {f.get('server_loop_warnings')}"
                f" / {f.get('browser_loop_warnings')} |",
                f"| realtime writes during the run | "
                f"{(f.get('realtime') or {}).get('summary', {}).get('actions', 'n/a')} |",
            ]
        )
        if f.get("warnings"):
            switch += "\n\nWarnings: " + "; ".join(f["warnings"])
    bench_parts: list[str] = []
    for g in gates:
        if not g.name.startswith("bench:"):
            continue
        bench_parts.append(f"### {g.name[6:]}: {g.status}" + (f" ({g.detail})" if g.detail else ""))
        if g.output:
            bench_parts.append("```\n" + _tail(g.output) + "\n```")
    out = template
    for key, value in {
        "summary": summary,
        "gates": "\n".join(rows),
        "switch": switch,
        "benchmarks": "\n\n".join(bench_parts) or "None.",
    }.items():
        out = out.replace("{{" + key + "}}", value)
    return out


def _meta() -> dict[str, str]:
    try:
        commit = (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                check=False,
            )
            .stdout.decode()
            .strip()
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain"],  # noqa: S607
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            check=False,
        ).stdout.strip()
    except OSError:
        commit, dirty = "unknown", b""
    return {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "host": f"{socket.gethostname()} ({os.cpu_count()} CPUs)",
        "commit": (commit or "unknown") + (" + local changes" if dirty else ""),
    }


# -- main ------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m inboxapp.tools.release_check")
    parser.add_argument("--switches", type=int, default=200)
    parser.add_argument("--skip", default="", help=f"comma list of {', '.join(GATES)}")
    parser.add_argument("--report", default=str(REPORT))
    parser.add_argument("--template", default=str(TEMPLATE))
    args = parser.parse_args(argv)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    unknown = skip - set(GATES)
    if unknown:
        parser.error(f"unknown gates: {', '.join(sorted(unknown))}")

    global LOG_DIR
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="inboxapp-release-"))
    LOG_DIR = workdir
    # Every production build of the check (build gate, browser tests, stack, benchmarks) goes
    # to its own directory, kept warm under .data/: a `make run`, `make test` or a browser test
    # run on the same checkout rebuilds `.web` and would pull the build from under our server.
    os.environ["REFLEX_WEB_WORKDIR"] = str(WEB_WORKDIR)
    # Reflex rewrites these when it initializes a web directory (same content, other format):
    # the check leaves the checkout exactly as it found it.
    kept = {p: p.read_bytes() for p in KEEP_AS_IS if p.exists()}
    gates: list[Gate] = []
    make = shutil.which("make") or "make"
    ruff, reflex = str(BIN / "ruff"), str(BIN / "reflex")
    build = [reflex, "export", "--frontend-only", "--no-zip", "--loglevel", "warning"]
    steps: list[tuple[str, list[list[str]]]] = [
        ("lint", [[ruff, "check", "."], [ruff, "format", "--check", "."]]),
        ("typecheck", [[str(BIN / "mypy")]]),
        ("build", [build]),
        ("tests", [[make, "--no-print-directory", "pytest"]]),
    ]
    for name, commands in steps:
        if name in skip:
            gates.append(Gate(name, detail="--skip"))
            continue
        results = [run_gate(name, cmd) for cmd in commands]
        gate = results[0]
        if len(results) > 1:
            gate = Gate(
                name,
                "failed" if any(r.status == "failed" for r in results) else "passed",
                sum(r.seconds for r in results),
                "; ".join(r.detail for r in results),
                "\n".join(r.output for r in results),
            )
        gates.append(gate)

    release_env: dict[str, str] | None = None
    stress_done = "switch-stress" in skip
    if stress_done:
        gates.append(Gate("switch-stress", detail="--skip"))
    run_bench = "benchmarks" not in skip
    if not stress_done or run_bench:
        try:
            _log("starting the isolated production stack (scratch database, Redis, worker, app)")
            t0 = time.monotonic()
            with prod_stack(workdir) as stack:
                print(f"--> ready on {stack.url} in {time.monotonic() - t0:.0f} s", flush=True)
                release_env = stack.env
                if not stress_done:
                    gates.append(switch_stress_gate(stack, args.switches, workdir))
                    stress_done = True
                if run_bench:
                    gates.extend(benchmark_gates(release_env))
                    run_bench = False
        except Exception as exc:  # the stack itself failed: a failed gate, not a crash
            print(f"--> production stack failed: {exc}", flush=True)
            if not stress_done:
                gates.append(Gate("switch-stress", "failed", detail=f"stack: {exc}"))
        if run_bench:  # the stack failed before the benchmarks: run those that need no stack
            gates.extend(benchmark_gates(None))
    else:
        gates.append(Gate("benchmarks", detail="--skip"))

    for path, content in kept.items():
        if not path.exists() or path.read_bytes() != content:
            path.write_bytes(content)
    total = time.monotonic() - started
    template_path = Path(args.template)
    template = template_path.read_text() if template_path.exists() else DEFAULT_TEMPLATE
    report = render_report(gates, total, template, _meta())
    Path(args.report).write_text(report)
    failed = [g.name for g in gates if g.status == "failed"]
    print(
        f"\n==> release check {'FAILED: ' + ', '.join(failed) if failed else 'passed'}"
        f" in {_fmt_s(total)}; report: {args.report} (logs: {workdir})"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
