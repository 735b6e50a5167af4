"""Pure ASGI middleware: body-size limit, security headers, NUL refusal, HEAD."""

from __future__ import annotations

from urllib.parse import parse_qsl

import anyio
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.problems import error_response, problem_response
from signals.errors import FieldProblem, InvalidInput

DASHBOARD_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
# The Swagger UI at /docs: its assets come from this origin (`service/routes/docs.py`); the
# page that FastAPI's helper writes starts it with one inline script.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
)


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is larger than {limit} bytes")


class BodyTooSlow(HTTPException):
    def __init__(self, seconds: float) -> None:
        super().__init__(408, f"the body was not received within {seconds:g} s")


class BodyLimitMiddleware:
    """413 when Content-Length, or the bytes actually streamed, exceed `max_bytes`; 408 when
    the whole body has not arrived `max_seconds` after the app first asked for it (a body
    sent a byte a second would otherwise hold a connection and a thread for ever)."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_seconds: float = 30.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_seconds = max_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                too_big = False
            if too_big:
                await self._reject(scope, receive, send)
                return
        seen = 0
        started = False
        deadline: float | None = None
        body_done = False
        timed_out = False

        async def limited_receive() -> Message:
            nonlocal seen, deadline, body_done, timed_out
            if body_done:  # past the body, receive() only waits for a disconnect
                return await receive()
            now = anyio.current_time()
            deadline = deadline if deadline is not None else now + self.max_seconds
            try:
                with anyio.fail_after(max(0.0, deadline - now)):
                    message = await receive()
            except TimeoutError:
                timed_out = True
                raise BodyTooSlow(self.max_seconds) from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
                body_done = not message.get("more_body", False)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if timed_out:  # the rest of the body is never read: end the connection
                    headers = [*message.get("headers", []), (b"connection", b"close")]
                    message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except (BodyTooLarge, BodyTooSlow) as exc:
            if started:
                raise
            await self._reject(scope, receive, send, exc.status_code, exc.detail)

    async def _reject(
        self, scope: Scope, receive: Receive, send: Send, status: int = 413, detail: str = ""
    ) -> None:
        detail = detail or f"the body is larger than {self.max_bytes} bytes"
        response = problem_response(status, detail, scope.get("path"))
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


class SecurityHeadersMiddleware:
    """Adds nosniff, frame denial, referrer policy and a CSP to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        csp = DOCS_CSP if path.startswith("/docs") or path.startswith("/redoc") else DASHBOARD_CSP

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers") or [])
                present = {k.lower() for k, _ in raw}
                for name, value in (
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"content-security-policy", csp.encode()),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ):
                    if name not in present:
                        raw.append((name, value))
                message = {**message, "headers": raw}
            await send(message)

        await self.app(scope, receive, send_wrapper)


class RefuseNulMiddleware:
    """422 for a NUL character in the path or a query parameter, naming where it is.

    No database stores NUL in text (PostgreSQL refuses it outright), and no id, slug or
    filter value can contain one; bodies are checked by their schemas.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            field = self._offending_field(scope)
            if field is not None:
                fault = InvalidInput(
                    f"{field} must not contain a NUL character",
                    [FieldProblem(field, "must not contain a NUL character")],
                )
                response = error_response(fault, scope.get("path", "").replace("\x00", "\\0"))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _offending_field(scope: Scope) -> str | None:
        if "\x00" in scope.get("path", ""):
            return "path"
        query: bytes = scope.get("query_string", b"")
        if b"%00" not in query and b"\x00" not in query:
            return None
        for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in key or "\x00" in value:
                return key.replace("\x00", "") or "query"
        return None


class HeadAsGetMiddleware:
    """HEAD answers what GET would, without the body (RFC 9110 §9.3.2). FastAPI routes
    serve only the methods they declare; this serves HEAD on every GET route, the stream
    included: once the headers are sent the GET's work is cancelled."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        async with anyio.create_task_group() as tg:

            async def headers_only(message: Message) -> None:
                if message["type"] == "http.response.start":
                    await send(message)
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    tg.cancel_scope.cancel()

            await self.app({**scope, "method": "GET"}, receive, headers_only)
