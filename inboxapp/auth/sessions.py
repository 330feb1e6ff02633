"""Is this session still signed in? One answer for every path, in memory, within a second.

A session is a refresh-token family: it is *live* while one of its tokens is neither revoked
nor expired and its user exists and is not disabled. Every path asks :func:`check` (the HTTP
API per request, the Reflex guard per event, the live-update task per refresh):

* The first time a process sees a session it looks it up (one indexed query) and keeps the
  answer.
* Every process polls ``app.auth_change`` (migration 0008) every ``POLL_S``: a logout, a
  revoked family, a disabled or deleted user names the session or user there, and the poller
  looks the named subjects up again. So a change takes effect everywhere within
  ``POLL_S`` + one query, with no database round trip per request.
* When the poller has not succeeded for ``STALE_S`` (database trouble, a stalled thread), the
  memory is not trusted: each check looks the session up directly (and raises when the
  database cannot answer). Redis is not involved at all.
* Answers are re-read after ``MAX_AGE_S`` even without a change, so a change that the feed
  could not deliver (a gap given up after ``GAP_GIVE_UP_S``) cannot stick.

``membership`` changes are counted per user (:func:`membership_version`) for callers that keep
membership-derived state.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from inboxapp.db.engine import service_session
from inboxapp.logs import get_logger

log = get_logger(__name__)

POLL_S = 0.25
STALE_S = 1.5
MAX_AGE_S = 300.0
GAP_GIVE_UP_S = 30.0
BATCH = 1000

LOOKUP_SQL = sa.text(
    """
    SELECT f.id AS family,
           EXISTS (SELECT 1 FROM "User" u WHERE u.id = f.uid AND u."disabledAt" IS NULL) AS user_ok,
           EXISTS (SELECT 1 FROM "RefreshToken" t
                    WHERE t."familyId" = f.id AND t."userId" = f.uid
                      AND t."revokedAt" IS NULL AND t."expiresAt" > now()) AS session_ok
    FROM unnest(CAST(:families AS uuid[]), CAST(:users AS uuid[])) AS f(id, uid)
    """
)
FEED_SQL = sa.text(
    'SELECT id, kind, subject, "clientId" FROM app.auth_change WHERE id > :after'
    " ORDER BY id LIMIT :limit"
)
HEAD_SQL = sa.text("SELECT coalesce(max(id), 0) FROM app.auth_change")
NOTE_SQL = sa.text("INSERT INTO app.auth_change (kind, subject) VALUES ('session', :family)")


class SessionEnded(Exception):
    """The session was signed out, revoked, expired, or its user disabled or deleted."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Known:
    user_id: uuid.UUID
    live: bool
    reason: str
    checked: float


def note_revoked(session: sa.orm.Session, family_id: uuid.UUID) -> None:
    """Record in ``session``'s transaction that ``family_id`` was revoked (for every process)."""
    session.execute(NOTE_SQL, {"family": family_id})


def _lookup(pairs: list[tuple[uuid.UUID, uuid.UUID]]) -> dict[uuid.UUID, tuple[bool, str]]:
    """``{family: (live, reason)}`` for ``(family, user)`` pairs: one query."""
    if not pairs:
        return {}
    with service_session() as s:
        rows = s.execute(
            LOOKUP_SQL,
            {"families": [f for f, _ in pairs], "users": [u for _, u in pairs]},
        ).all()
    out: dict[uuid.UUID, tuple[bool, str]] = {}
    for row in rows:
        if not row.user_ok:
            out[row.family] = (False, "user_disabled")
        elif not row.session_ok:
            out[row.family] = (False, "session_revoked")
        else:
            out[row.family] = (True, "")
    return out


class Registry:
    """This process's memory of sessions, kept current by polling ``app.auth_change``."""

    def __init__(
        self, *, poll_s: float = POLL_S, stale_s: float = STALE_S, autostart: bool = True
    ) -> None:
        self.poll_s = poll_s
        self.stale_s = stale_s
        self.autostart = autostart
        """Start the polling thread on first use (tests drive :meth:`poll_once` themselves)."""
        self._lock = threading.Lock()
        self._known: dict[uuid.UUID, _Known] = {}
        self._touched: dict[uuid.UUID, float] = {}
        """Subject (session or user id) -> when the feed last named it (monotonic)."""
        self._memberships: dict[uuid.UUID, int] = {}
        self._after = -1  # -1: the feed's head is not known yet
        self._gaps: dict[int, float] = {}
        self._polled_at = 0.0
        self._feed_started = float("inf")
        """When the feed's head was read: answers looked up before it may predate a change."""
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # -- asking ---------------------------------------------------------------------------
    def check(self, user_id: uuid.UUID | str, session_id: uuid.UUID | str | None) -> None:
        """Return when the session is live; raise :class:`SessionEnded` otherwise.

        Blocking only on a first sight, an old answer or a stale feed (one query); database
        errors propagate (callers answer 503, they must not sign anyone out for it).
        """
        uid, sid = _as_uuid(user_id), _as_uuid(session_id)
        if uid is None or sid is None:
            raise SessionEnded("no_session")
        known = self.cached(uid, sid)
        if known is None:
            known = self._refresh([(sid, uid)])[sid]
        if known.user_id != uid:
            raise SessionEnded("other_user")
        if not known.live:
            raise SessionEnded(known.reason)

    def cached(self, user_id: uuid.UUID, session_id: uuid.UUID) -> _Known | None:
        """The remembered answer when it can be trusted now (no I/O), else None."""
        self._ensure_poller()
        now = time.monotonic()
        if now - self._polled_at > self.stale_s:
            return None
        with self._lock:
            known = self._known.get(session_id)
        if known is None or now - known.checked > MAX_AGE_S:
            return None
        return known

    def is_live(self, user_id: uuid.UUID | str, session_id: uuid.UUID | str | None) -> bool:
        try:
            self.check(user_id, session_id)
        except SessionEnded:
            return False
        return True

    def membership_version(self, user_id: uuid.UUID | str) -> int:
        """How many membership changes of ``user_id`` this process has heard of."""
        uid = _as_uuid(user_id)
        with self._lock:
            return self._memberships.get(uid, 0) if uid else 0

    def forget(self, session_id: uuid.UUID | str | None) -> None:
        """Drop what is known of a session (this process just revoked it)."""
        sid = _as_uuid(session_id)
        if sid is not None:
            with self._lock:
                self._known.pop(sid, None)
                self._touched[sid] = time.monotonic()

    # -- remembering ----------------------------------------------------------------------
    def _refresh(self, pairs: list[tuple[uuid.UUID, uuid.UUID]]) -> dict[uuid.UUID, _Known]:
        """Look ``(session, user)`` pairs up and remember the answers (unless the feed named
        them while the query ran: then the answer may be older than the change; ask again)."""
        out: dict[uuid.UUID, _Known] = {}
        todo = pairs
        for _attempt in range(3):
            started = time.monotonic()
            found = _lookup(todo)
            retry: list[tuple[uuid.UUID, uuid.UUID]] = []
            with self._lock:
                for sid, uid in todo:
                    live, reason = found.get(sid, (False, "session_revoked"))
                    known = _Known(uid, live, reason, started)
                    out[sid] = known
                    touched = max(self._touched.get(sid, 0.0), self._touched.get(uid, 0.0))
                    if touched >= started:
                        retry.append((sid, uid))
                    elif started >= self._feed_started:
                        self._known[sid] = known
            if not retry:
                break
            todo = retry
        return out

    # -- the feed -------------------------------------------------------------------------
    def _ensure_poller(self) -> None:
        if not self.autostart or (self._thread is not None and self._thread.is_alive()):
            return
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="auth-changes", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self.poll_once()
                failures = 0
            except Exception as exc:
                failures += 1
                if failures in (1, 10) or failures % 100 == 0:
                    log.warning("auth.changes_poll_failed", error=type(exc).__name__, n=failures)
            self._stop.wait(self.poll_s)

    def poll_once(self) -> None:
        """Read new feed rows, re-check what they name; marks the memory fresh on success."""
        started = time.monotonic()
        with service_session() as s:
            if self._after < 0:
                self._after = int(s.execute(HEAD_SQL).scalar_one())
                with self._lock:
                    self._feed_started = started
                    self._known.clear()
                rows: list[tuple[int, str, uuid.UUID, uuid.UUID | None]] = []
            else:
                after = min([self._after, *(g - 1 for g in self._gaps)])
                rows = [tuple(r) for r in s.execute(FEED_SQL, {"after": after, "limit": BATCH})]
        self._apply([r for r in rows if r[0] > self._after or r[0] in self._gaps], started)
        self._polled_at = started

    def _apply(
        self, rows: Iterable[tuple[int, str, uuid.UUID, uuid.UUID | None]], started: float
    ) -> None:
        sessions: set[uuid.UUID] = set()
        users: set[uuid.UUID] = set()
        now = time.monotonic()
        with self._lock:
            for row_id, kind, subject, _client in rows:
                self._note_id(row_id, now)
                self._touched[subject] = now
                if kind == "session":
                    sessions.add(subject)
                elif kind == "user":
                    users.add(subject)
                else:
                    self._memberships[subject] = self._memberships.get(subject, 0) + 1
            for gap, since in list(self._gaps.items()):
                if now - since > GAP_GIVE_UP_S:
                    del self._gaps[gap]
            stale = [
                (sid, k.user_id)
                for sid, k in self._known.items()
                if sid in sessions or k.user_id in users
            ]
            for sid, _uid in stale:
                self._known.pop(sid, None)
            self._prune(now)
        if stale:
            self._refresh(stale)

    def _note_id(self, row_id: int, now: float) -> None:
        """Advance the cursor; ids skipped on the way may belong to transactions that have not
        committed yet, so they are asked for again until they appear or are given up."""
        self._gaps.pop(row_id, None)
        if row_id > self._after:
            for missing in range(self._after + 1, min(row_id, self._after + 1 + BATCH)):
                self._gaps.setdefault(missing, now)
            self._after = row_id

    def _prune(self, now: float) -> None:
        for sid in [s for s, k in self._known.items() if now - k.checked > MAX_AGE_S]:
            del self._known[sid]
        for subject in [s for s, t in self._touched.items() if now - t > MAX_AGE_S]:
            del self._touched[subject]

    def stop(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=2)


def _as_uuid(value: uuid.UUID | str | None) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


_registry: Registry | None = None
_registry_lock = threading.Lock()


def registry() -> Registry:
    """This process's registry (its poller starts on first use)."""
    global _registry
    with _registry_lock:
        if _registry is None:
            _registry = Registry()
        return _registry


def reset_registry() -> None:
    """Stop and forget the process registry (tests, after the database changed)."""
    global _registry
    with _registry_lock:
        old, _registry = _registry, None
    if old is not None:
        old.stop()


def check(user_id: uuid.UUID | str, session_id: uuid.UUID | str | None) -> None:
    """:meth:`Registry.check` on the process registry."""
    registry().check(user_id, session_id)
