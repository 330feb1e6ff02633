"""Workspace-switch stress test for testers: Chromium against a running app (any URL).

    python -m inboxapp.tools.switch_stress --url http://127.0.0.1:3000 \\
        --user morgan@agency.demo --password-stdin --switches 200 --pages inbox,analytics \\
        [--realtime-client-id <clientId>] [--server-log reflex-prod.log] [--json]

What it does:

1. Launches Debian's Chromium (``/usr/bin/chromium``, headless; nothing is downloaded), signs in
   through the login form and reads the workspaces from ``[data-testid=workspace-switcher]``
   (a native ``<select>`` whose option values are workspace ids). At least two are needed.
2. Checks the pages (``inbox`` = ``/``, ``analytics`` = ``/analytics``, ``jobs`` = ``/jobs`` or
   any ``/path``); a page that answers 404 (or never shows the switcher) is skipped with a
   warning.
3. Visits the pages in turn (``--block`` switches per visit) and switches workspaces as fast as
   possible: each switch starts as soon as the previous one rendered. Some switches happen
   mid-load: the first switch after each page load (while the page is still loading) and every
   ``--mid-load-every``-th switch, which selects another workspace, waits until its load is in
   flight (URL changed) and switches again.
4. A switch is *rendered* when the URL's ``clientId`` equals the switcher's value equals the
   target, no ``[data-testid=loading-spinner]`` is present and (inbox page) an
   ``[data-testid=inbox-container]`` is, continuously for ``--settle-ms`` (250 ms; this bridges
   the gap between the URL change and the next load starting). The switch time is measured in
   the page's clock from the ``select`` to the start of that stable streak.
5. With ``--realtime-client-id`` it runs ``python -m inboxapp simulate`` meanwhile (writes that
   arrive as realtime events); with ``--server-log`` it counts ``reflex.loop_detected`` lines
   the server wrote during the run (start the server with ``DebugSettings.loops`` on).

Failures (any makes the exit code 1): console errors or uncaught page errors (React's
"Minified React error", "Too many re-renders", "Maximum update depth" are also counted apart),
stuck spinners (a spinner still there after ``--stuck-after-s``), duplicate layouts (not exactly
one switcher, or not exactly one inbox container on the inbox page), URL mismatches (the URL's
``clientId`` differs from the switcher's value or the target, also re-checked at the end of
every page visit), loop warnings (server log, or the ``console.warn`` the loop detector pushes to
the browser), a realtime simulator that died. Exit code 2: could not start (login, fewer than two
workspaces, no page to test).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from inboxapp.config import tool_settings

PAGES = {"inbox": "/", "analytics": "/analytics", "jobs": "/jobs"}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REACT_FAILURES = ("Minified React error", "Too many re-renders", "Maximum update depth")
LOOP_CONSOLE = "[inboxapp] event loop detected"
LOOP_LOG_EVENT = "reflex.loop_detected"
MAX_LISTED = 50

_SNAPSHOT_JS = """() => {
  const sel = document.querySelectorAll('[data-testid="workspace-switcher"]');
  const url = new URL(location.href);
  return {
    path: url.pathname,
    clientId: url.searchParams.get('clientId'),
    switchers: sel.length,
    value: sel.length ? sel[0].value : null,
    options: sel.length ? Array.from(sel[0].options).map(o => o.value) : [],
    spinners: document.querySelectorAll('[data-testid="loading-spinner"]').length,
    containers: document.querySelectorAll('[data-testid="inbox-container"]').length,
  };
}"""

_RENDERED_JS = """([target, inbox, settleMs]) => {
  const sel = document.querySelector('[data-testid="workspace-switcher"]');
  const cid = new URL(location.href).searchParams.get('clientId');
  const ok = !!sel && cid === target && sel.value === target
    && !document.querySelector('[data-testid="loading-spinner"]')
    && (!inbox || !!document.querySelector('[data-testid="inbox-container"]'));
  const now = performance.now();
  if (!ok) { window.__switchStressSince = null; return false; }
  if (window.__switchStressSince == null) window.__switchStressSince = now;
  return now - window.__switchStressSince >= settleMs ? window.__switchStressSince : false;
}"""

_URL_IS_JS = """(target) => new URL(location.href).searchParams.get('clientId') === target"""

_SWITCHER_READY_JS = """() => {
  const sel = document.querySelector('[data-testid="workspace-switcher"]');
  return !!sel && sel.options.length > 1 && !sel.disabled;
}"""


class SetupError(Exception):
    """The run could not start (exit code 2)."""


@dataclass
class Report:
    url: str
    switches_requested: int
    pages: list[str] = field(default_factory=list)
    skipped_pages: dict[str, str] = field(default_factory=dict)
    workspaces: int = 0
    switches_done: int = 0
    mid_load_switches: int = 0
    timings_ms: list[float] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    console_error_count: int = 0
    react_errors: int = 0
    stuck_spinners: int = 0
    duplicate_layouts: int = 0
    url_mismatches: int = 0
    not_rendered: int = 0
    path_changes: int = 0
    browser_loop_warnings: int = 0
    server_loop_warnings: int | None = None
    realtime: dict[str, Any] | None = None
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    def percentile(self, q: float) -> float | None:
        if not self.timings_ms:
            return None
        ordered = sorted(self.timings_ms)
        return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)], 1)

    @property
    def ok(self) -> bool:
        realtime_failed = bool(self.realtime and self.realtime.get("failed"))
        return (
            self.switches_done > 0
            and self.console_error_count == 0
            and self.stuck_spinners == 0
            and self.duplicate_layouts == 0
            and self.url_mismatches == 0
            and self.not_rendered == 0
            and self.browser_loop_warnings == 0
            and not self.server_loop_warnings
            and not realtime_failed
        )

    def fail(self, message: str) -> None:
        if len(self.failures) < MAX_LISTED:
            self.failures.append(message)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("timings_ms")
        data.update(
            ok=self.ok,
            p50_ms=self.percentile(0.5),
            p95_ms=self.percentile(0.95),
            max_ms=round(max(self.timings_ms), 1) if self.timings_ms else None,
            mean_ms=round(statistics.fmean(self.timings_ms), 1) if self.timings_ms else None,
        )
        return data

    def text(self) -> str:
        d = self.to_dict()
        loops = f"{self.browser_loop_warnings} in the browser console"
        if self.server_loop_warnings is not None:
            loops += f", {self.server_loop_warnings} in the server log"
        else:
            loops += " (no --server-log: server side not checked)"
        lines = [
            f"switch stress against {self.url}: {'PASS' if self.ok else 'FAIL'}",
            f"  pages:               {', '.join(self.pages) or '-'}"
            + (f"  (skipped: {self.skipped_pages})" if self.skipped_pages else ""),
            f"  workspaces:          {self.workspaces}",
            f"  switches done:       {self.switches_done}/{self.switches_requested}"
            f" ({self.mid_load_switches} mid-load)",
            f"  switch-to-rendered:  p50 {d['p50_ms']} ms, p95 {d['p95_ms']} ms,"
            f" max {d['max_ms']} ms",
            f"  console errors:      {self.console_error_count}"
            f" (React render loops: {self.react_errors})",
            f"  stuck spinners:      {self.stuck_spinners}",
            f"  duplicate layouts:   {self.duplicate_layouts}",
            f"  URL mismatches:      {self.url_mismatches}",
            f"  not rendered:        {self.not_rendered}",
            f"  loop warnings:       {loops}",
            f"  left the page:       {self.path_changes} (a switch moved to another route)",
            f"  duration:            {self.duration_s:.1f} s",
        ]
        if self.realtime is not None:
            lines.append(f"  realtime simulator:  {self.realtime}")
        for warning in self.warnings:
            lines.append(f"  warning: {warning}")
        for message in self.console_errors[:10]:
            lines.append(f"  console: {message}")
        for failure in self.failures[:20]:
            lines.append(f"  failure: {failure}")
        return "\n".join(lines)


# -- helpers ---------------------------------------------------------------------------------


def parse_pages(raw: str) -> list[tuple[str, str]]:
    pages: list[tuple[str, str]] = []
    for name in (p.strip() for p in raw.split(",")):
        if not name:
            continue
        if name.startswith("/"):
            pages.append((name, name))
        elif name in PAGES:
            pages.append((name, PAGES[name]))
        else:
            raise SetupError(f"unknown page {name!r} (use {', '.join(PAGES)} or a /path)")
    if not pages:
        raise SetupError("no pages given")
    return pages


def same_path(a: str, b: str) -> bool:
    return (a.rstrip("/") or "/") == (b.rstrip("/") or "/")


def count_loop_lines(path: Path, offset: int) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as fh:
        fh.seek(offset)
        return sum(1 for line in fh if LOOP_LOG_EVENT.encode() in line)


def probe_status(url: str) -> int | None:
    import httpx

    try:
        return httpx.get(url, timeout=15, follow_redirects=True).status_code
    except httpx.HTTPError:
        return None


class Simulator:
    """``python -m inboxapp simulate`` in the background (realtime events during the run)."""

    def __init__(self, client_id: str, rate: float, url: str) -> None:
        self.client_id = client_id
        self.proc = subprocess.Popen(  # noqa: S603 (our own CLI)
            [
                sys.executable,
                "-m",
                "inboxapp",
                "simulate",
                "--client-id",
                client_id,
                "--rate",
                str(rate),
                "--url",
                url,
                "--json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def stop(self) -> dict[str, Any]:
        died = self.proc.poll() is not None
        if not died:
            os.killpg(self.proc.pid, signal.SIGINT)
        try:
            out, err = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            out, err = self.proc.communicate(timeout=5)
        result: dict[str, Any] = {"clientId": self.client_id, "failed": died}
        summary = _last_json(out.decode(errors="replace"))
        if summary is not None:
            result["summary"] = summary
        if died:
            tail = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            result["error"] = f"exited with {self.proc.returncode} during the run: {tail[0][:300]}"
        return result


def _last_json(text: str) -> Any:
    text = text.strip()
    start = text.find("{")
    if start < 0:
        return None
    try:
        return json.loads(text[start:])
    except ValueError:
        return None


# -- the run ---------------------------------------------------------------------------------


class Runner:
    def __init__(self, args: argparse.Namespace, password: str) -> None:
        self.args = args
        self.password = password
        self.base = args.url.rstrip("/")
        self.report = Report(url=self.base, switches_requested=args.switches)
        self.page: Any = None
        self.current = ""
        self.options: list[str] = []
        self.turn = 0

    # browser events
    def _on_console(self, message: Any) -> None:
        text = str(message.text)
        if LOOP_CONSOLE in text:
            self.report.browser_loop_warnings += 1
            self.report.fail(f"loop warning in the browser console: {text[:200]}")
        if message.type == "error":
            self._console_error(f"console: {text}")

    def _console_error(self, text: str) -> None:
        self.report.console_error_count += 1
        if any(marker in text for marker in REACT_FAILURES):
            self.report.react_errors += 1
        if len(self.report.console_errors) < MAX_LISTED:
            self.report.console_errors.append(text[:300])

    def snapshot(self) -> dict[str, Any]:
        return dict(self.page.evaluate(_SNAPSHOT_JS))

    def run(self) -> Report:
        from playwright.sync_api import sync_playwright

        started = time.monotonic()
        pages = parse_pages(self.args.pages)
        log_path = Path(self.args.server_log) if self.args.server_log else None
        log_offset = log_path.stat().st_size if log_path and log_path.exists() else 0
        simulator: Simulator | None = None
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=self.args.chromium, args=CHROMIUM_ARGS)
                try:
                    context = browser.new_context(
                        base_url=self.base, viewport={"width": 1280, "height": 800}
                    )
                    context.set_default_timeout(30_000)
                    self.page = context.new_page()
                    self.page.on("console", self._on_console)
                    self.page.on("pageerror", lambda exc: self._console_error(f"pageerror: {exc}"))
                    self.sign_in()
                    available = self.check_pages(pages)
                    if self.args.realtime_client_id:
                        simulator = Simulator(
                            self.args.realtime_client_id, self.args.realtime_rate, self.args.url
                        )
                    self.switch_loop(available, started)
                finally:
                    browser.close()
        finally:
            if simulator is not None:
                self.report.realtime = simulator.stop()
                if self.report.realtime.get("failed"):
                    self.report.fail(f"realtime simulator: {self.report.realtime.get('error')}")
            if log_path is not None:
                self.report.server_loop_warnings = count_loop_lines(log_path, log_offset)
                if self.report.server_loop_warnings:
                    self.report.fail(
                        f"{self.report.server_loop_warnings} {LOOP_LOG_EVENT} lines in {log_path}"
                    )
            self.report.duration_s = time.monotonic() - started
        return self.report

    def sign_in(self) -> None:
        page = self.page
        page.goto("/login")
        page.get_by_test_id("login-email").fill(self.args.user)
        page.get_by_test_id("login-password").fill(self.password)
        page.get_by_test_id("login-password").press("Enter")
        try:
            page.wait_for_function(_SWITCHER_READY_JS, timeout=30_000)
        except Exception as exc:
            error = page.get_by_test_id("login-error")
            if error.count():
                raise SetupError(f"sign-in failed: {error.inner_text()[:200]}") from None
            state = self.snapshot()
            if state["switchers"] and len(state["options"]) < 2:
                raise SetupError("the user needs at least two workspaces") from None
            raise SetupError(f"the workspace switcher never appeared ({exc})") from None
        state = self.snapshot()
        self.options = list(state["options"])
        self.current = state["value"] or state["clientId"] or self.options[0]
        self.report.workspaces = len(self.options)

    def check_pages(self, pages: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        available: list[tuple[str, str]] = []
        for name, path in pages:
            status = probe_status(f"{self.base}{path}")
            if status == 404 or status is None:
                reason = "404 Not Found" if status == 404 else "no answer"
                self.report.skipped_pages[name] = reason
                self.report.warnings.append(f"page {name} ({path}) skipped: {reason}")
                continue
            self.page.goto(f"{path}?clientId={self.current}")
            try:
                self.page.wait_for_function(_SWITCHER_READY_JS, timeout=20_000)
            except Exception:
                self.report.skipped_pages[name] = "no workspace switcher on the page"
                self.report.warnings.append(f"page {name} ({path}) skipped: no workspace switcher")
                continue
            available.append((name, path))
        if not available:
            raise SetupError("none of the pages can be tested")
        self.report.pages = [name for name, _ in available]
        return available

    def next_target(self, current: str) -> str:
        others = [o for o in self.options if o != current]
        self.turn += 1
        return others[self.turn % len(others)]

    def switch_loop(self, pages: Sequence[tuple[str, str]], started: float) -> None:
        args = self.args
        deadline = started + args.max_minutes * 60
        visit = 0
        while self.report.switches_done < args.switches:
            if time.monotonic() > deadline:
                self.report.fail(f"time budget of {args.max_minutes} min used up")
                break
            name, path = pages[visit % len(pages)]
            visit += 1
            # A fresh load of the page, then the first switch while it is still loading.
            self.page.goto(f"{path}?clientId={self.current}", wait_until="commit")
            fresh_load = True
            for _ in range(args.block):
                if self.report.switches_done >= args.switches:
                    break
                n = self.report.switches_done + 1
                bounce = not fresh_load and args.mid_load_every > 0 and n % args.mid_load_every == 0
                fresh_load = self.one_switch(
                    n, name, path, first_after_load=fresh_load, bounce=bounce
                )
            self.stability_check(name, path)

    def one_switch(
        self, n: int, name: str, path: str, *, first_after_load: bool, bounce: bool
    ) -> bool:
        """One switch; True when the page was loaded afresh afterwards (next one is mid-load)."""
        page, args = self.page, self.args
        stuck_ms = args.stuck_after_s * 1000
        try:
            page.wait_for_function(_SWITCHER_READY_JS, timeout=stuck_ms)
        except Exception:
            inbox = same_path(path, PAGES["inbox"])
            self.classify(n, name, self.current, inbox, "switcher never became usable")
            return True
        # The page actually shown (a switch elsewhere may have moved to another route).
        inbox = same_path(str(page.evaluate("location.pathname")), PAGES["inbox"])
        target = self.next_target(self.current)
        if bounce:
            # Start a switch, wait until its load is in flight, then switch again.
            page.evaluate("window.__switchStressSince = null")
            page.get_by_test_id("workspace-switcher").select_option(target)
            try:
                page.wait_for_function(_URL_IS_JS, arg=target, timeout=stuck_ms)
            except Exception:
                self.classify(n, name, target, inbox, "first switch of a bounce never navigated")
                return True
            target = self.next_target(target)
        page.evaluate("window.__switchStressSince = null")
        t0 = float(page.evaluate("performance.now()"))
        page.get_by_test_id("workspace-switcher").select_option(target)
        try:
            handle = page.wait_for_function(
                _RENDERED_JS, arg=[target, inbox, args.settle_ms], timeout=stuck_ms
            )
        except Exception:
            self.classify(n, name, target, inbox, f"not rendered after {args.stuck_after_s:g} s")
            return True
        rendered_at = float(handle.json_value())
        self.report.switches_done += 1
        if first_after_load or bounce:
            self.report.mid_load_switches += 1
        self.report.timings_ms.append(max(0.0, rendered_at - t0))
        self.current = target
        return self.layout_check(n, name, path, inbox)

    def layout_check(self, n: int, name: str, path: str, inbox: bool) -> bool:
        """Duplicate layouts, and whether the switch left the page (reported as a warning)."""
        state = self.snapshot()
        if state["switchers"] != 1 or (inbox and state["containers"] != 1):
            self.report.duplicate_layouts += 1
            self.report.fail(
                f"switch {n} on {name}: {state['switchers']} switchers,"
                f" {state['containers']} inbox containers"
            )
        if not same_path(state["path"], path):
            self.report.path_changes += 1
            if self.report.path_changes == 1:
                self.report.warnings.append(
                    f"switching on {name} moved to {state['path']} (expected to stay on"
                    f" {path}); the rest of that visit switches there"
                )
        return False

    def stability_check(self, name: str, path: str) -> None:
        """After a visit: nothing flips back once the switching stopped."""
        self.page.wait_for_timeout(self.args.final_check_ms)
        state = self.snapshot()
        if state["clientId"] != self.current or state["value"] != self.current:
            self.report.url_mismatches += 1
            self.report.fail(
                f"end of the {name} visit: URL clientId {state['clientId']}, switcher"
                f" {state['value']}, expected {self.current}"
            )
            self.current = state["clientId"] or self.current
        if state["spinners"]:
            self.page.wait_for_timeout(self.args.stuck_after_s * 1000)
            if self.snapshot()["spinners"]:
                self.report.stuck_spinners += 1
                self.report.fail(f"end of the {name} visit: spinner never went away")

    def classify(self, n: int, name: str, target: str, inbox: bool, what: str) -> None:
        """A switch that did not render in time: say why, then recover with a fresh load."""
        state = self.snapshot()
        detail = (
            f"switch {n} on {name}: {what} (target {target}, URL {state['clientId']},"
            f" switcher {state['value']}, spinners {state['spinners']},"
            f" containers {state['containers']})"
        )
        if state["spinners"]:
            self.report.stuck_spinners += 1
        elif state["clientId"] != target or state["value"] != target:
            self.report.url_mismatches += 1
        elif state["switchers"] != 1 or (inbox and state["containers"] != 1):
            self.report.duplicate_layouts += 1
        else:
            self.report.not_rendered += 1
        self.report.fail(detail)
        if self.args.screenshots:
            shot = Path(self.args.screenshots) / f"switch-stress-{n}.png"
            self.page.screenshot(path=str(shot))
        self.current = state["clientId"] or target
        self.page.goto(f"{state['path'] or '/'}?clientId={self.current}", wait_until="commit")


# -- CLI -------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m inboxapp.tools.switch_stress",
        description="Fast workspace switches in Chromium; exit 1 on any failure.",
    )
    parser.add_argument("--url", default="http://127.0.0.1:3000", help="the running app")
    parser.add_argument("--user", required=True, help="email of a user with 2+ workspaces")
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument("--password", help="the password (visible in ps; prefer stdin)")
    secret.add_argument("--password-stdin", action="store_true", help="read it from stdin")
    parser.add_argument("--switches", type=int, default=200)
    parser.add_argument("--pages", default="inbox,analytics", help="inbox,analytics,jobs,/path")
    parser.add_argument("--block", type=int, default=20, help="switches per page visit (20)")
    parser.add_argument("--mid-load-every", type=int, default=5, help="every Nth: a bounce")
    parser.add_argument("--settle-ms", type=int, default=250)
    parser.add_argument("--stuck-after-s", type=float, default=10.0)
    parser.add_argument("--final-check-ms", type=int, default=500)
    parser.add_argument("--realtime-client-id", help="run `inboxapp simulate` on this workspace")
    parser.add_argument("--realtime-rate", type=float, default=5.0, help="simulated writes/s")
    parser.add_argument("--server-log", help="server log file: count reflex.loop_detected")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM_PATH", CHROMIUM))
    parser.add_argument("--screenshots", help="directory for screenshots of failed switches")
    parser.add_argument("--max-minutes", type=float, default=15.0, help="time budget")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--report-file", help="also write the JSON report to this file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        secret = tool_settings().stress_password
        password = args.password or (secret.get_secret_value() if secret else "")
    if not password:
        print("error: give --password-stdin or --password", file=sys.stderr)
        return 2
    if args.switches < 1 or args.block < 1:
        print("error: --switches and --block must be positive", file=sys.stderr)
        return 2
    runner = Runner(args, password)
    code = 0
    try:
        report = runner.run()
    except SetupError as exc:
        report = runner.report
        report.failures.insert(0, f"setup: {exc}")
        code = 2
    data = report.to_dict()
    if code == 2:
        data["ok"] = False
    if args.report_file:
        Path(args.report_file).write_text(json.dumps(data, indent=2) + "\n")
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print(report.text() if code == 0 else f"switch stress: {report.failures[0]}")
    return code or (0 if report.ok else 1)


if __name__ == "__main__":
    sys.exit(main())
