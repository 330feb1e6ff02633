"""A local fake of OpenAI's chat-completions HTTP API, for the OpenAI-compatible provider.

``POST /v1/chat/completions`` answers exactly like OpenAI (``id``, ``object``, ``created``,
``model``, ``choices[0].message.content``, ``finish_reason``, ``usage``); errors carry
OpenAI's ``{"error": {...}}`` body. It runs in a thread on 127.0.0.1 (a port the OS picks).

Scripting: :meth:`FakeOpenAI.queue` adds :class:`Reply` objects answered in order (a status
such as 429 with a Retry-After header, a 500, a delay longer than the client's timeout, a raw
body); when the queue is empty the ``responder`` (request JSON -> content) answers. Every
request is recorded (path, headers, JSON). ``max_in_flight`` is the most requests served at
once; :meth:`hold` makes each request wait until ``n`` are in flight (or ``timeout_s`` passed),
so a test sees the caller's concurrency without timing anything.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[dict[str, Any]], str]
COMPLETIONS_PATH = "/v1/chat/completions"
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    404: "invalid_request_error",
    429: "rate_limit_exceeded",
}


def echo_responder(request: dict[str, Any]) -> str:
    """The default: a fixed, polite reply (tests that care pass their own)."""
    return "Thanks for your reply! Happy to share more details."


@dataclass
class Reply:
    """One scripted answer."""

    content: str | None = None
    """The completion text (None: the responder's)."""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str | bytes | None = None
    """A raw body sent as is instead of a completion or an error object (garbage, HTML...)."""
    delay_s: float = 0.0
    """Wait this long before answering (the wait ends early when the server stops)."""
    finish_reason: str = "stop"
    usage: tuple[int, int] | None = None
    """(prompt_tokens, completion_tokens); None: estimated from the text lengths."""


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    """Lower-cased names."""
    json: Any
    """The decoded body (None when it was not JSON)."""


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


class FakeOpenAI:
    def __init__(self, responder: Responder = echo_responder) -> None:
        self.responder = responder
        self.requests: list[Recorded] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._replies: deque[Reply] = deque()
        self._cond = threading.Condition()
        self._hold: tuple[int, float] | None = None
        self._released = 0
        self._stopping = threading.Event()
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- control ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """What a client is configured with (``.../v1``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def queue(self, *replies: Reply) -> None:
        """Answer the next requests with these, in order."""
        with self._cond:
            self._replies.extend(replies)

    def hold(self, n: int, timeout_s: float = 5.0) -> None:
        """From now on each request waits until ``n`` are in flight or ``timeout_s`` passed."""
        with self._cond:
            self._hold = (n, timeout_s)

    def release(self) -> None:
        with self._cond:
            self._hold = None
            self._cond.notify_all()

    def completions(self) -> list[Recorded]:
        """The chat-completions requests received so far."""
        return [r for r in self.requests if r.path == COMPLETIONS_PATH]

    # --- serving ---------------------------------------------------------------------------

    def _enter(self, recorded: Recorded) -> Reply | None:
        with self._cond:
            self.requests.append(recorded)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            if self._hold is not None:
                n, timeout_s = self._hold
                if self._in_flight >= n:
                    self._released += 1  # frees every waiter, even if one leaves before it wakes
                    self._cond.notify_all()
                else:
                    batch = self._released
                    self._cond.wait_for(
                        lambda: (
                            self._released != batch or self._hold is None or self._stopping.is_set()
                        ),
                        timeout=timeout_s,
                    )
            return self._replies.popleft() if self._replies else None

    def _leave(self) -> None:
        with self._cond:
            self._in_flight -= 1

    def _completion(self, request: dict[str, Any], reply: Reply) -> dict[str, Any]:
        content = reply.content if reply.content is not None else self.responder(request)
        if reply.usage is not None:
            prompt, completion = reply.usage
        else:
            messages = request.get("messages") or []
            prompt = sum(_tokens(str(m.get("content", ""))) + 4 for m in messages)
            completion = _tokens(content)
        return {
            "id": f"chatcmpl-fake{next(self._ids):06d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(request.get("model", "")),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "logprobs": None,
                    "finish_reason": reply.finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
            "system_fingerprint": "fp_fake",
        }

    def answer(self, method: str, path: str, request: Any, reply: Reply | None) -> Reply:
        """The reply to one request: the scripted one filled in, a 404, or the responder's."""
        if method != "POST" or path != COMPLETIONS_PATH:
            return Reply(status=404, body=_error(404, f"no route {method} {path}"))
        reply = reply or Reply()
        if reply.body is not None:
            return reply
        if reply.status != 200:
            return Reply(status=reply.status, headers=reply.headers, body=_error(reply.status))
        if not isinstance(request, dict):
            return Reply(status=400, body=_error(400, "the body is not a JSON object"))
        body = json.dumps(self._completion(request, reply))
        return Reply(status=200, headers=reply.headers, body=body)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return  # quiet

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    decoded: Any = json.loads(raw) if raw else None
                except ValueError:
                    decoded = None
                path = self.path.split("?", 1)[0]
                headers = {k.lower(): v for k, v in self.headers.items()}
                recorded = Recorded(self.command, path, headers, decoded)
                scripted = fake._enter(recorded)
                try:
                    reply = fake.answer(self.command, path, decoded, scripted)
                    if scripted is not None and scripted.delay_s:
                        fake._stopping.wait(scripted.delay_s)
                    self._send(reply)
                finally:
                    fake._leave()

            def _send(self, reply: Reply) -> None:
                body = reply.body if isinstance(reply.body, bytes) else str(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            do_POST = _serve
            do_GET = _serve

        return Handler


def _error(status: int, message: str | None = None) -> str:
    return json.dumps(
        {
            "error": {
                "message": message or f"fake error {status}",
                "type": ERROR_TYPES.get(status, "server_error"),
                "param": None,
                "code": None,
            }
        }
    )


@contextmanager
def running(responder: Responder = echo_responder) -> Iterator[FakeOpenAI]:
    """A started fake, stopped on exit."""
    fake = FakeOpenAI(responder).start()
    try:
        yield fake
    finally:
        fake.stop()
