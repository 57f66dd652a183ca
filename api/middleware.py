"""ASGI middleware: request-size limit and security headers.

The size limit is enforced on the raw stream (Content-Length is checked up
front, chunked bodies are counted as they arrive), so an oversized body is
refused with 413 before any handler parses it.
"""

from __future__ import annotations

import orjson

__all__ = ["BodyLimitMiddleware", "SecurityHeadersMiddleware"]


def _error(status: int, code: str, message: str, fix: str) -> tuple[dict, bytes]:
    body = orjson.dumps({"error": {"code": code, "message": message, "fix": fix}})
    start = {"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode())]}
    return start, body


class _TooLarge(Exception):
    pass


class BodyLimitMiddleware:
    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = True
                if too_big:
                    return await self._refuse(send)
        seen = 0
        started = False

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send):
        start, body = _error(413, "limit_exceeded",
                             f"request body is larger than {self.max_bytes} bytes.",
                             "Send smaller batches (see GEOGRID_MAX_BODY_BYTES).")
        await send(start)
        await send({"type": "http.response.body", "body": body})


class SecurityHeadersMiddleware:
    """nosniff everywhere; pages may be framed only under /embed (frame-ancestors configurable)."""

    def __init__(self, app, frame_ancestors: str = "*"):
        self.app = app
        self.frame_ancestors = frame_ancestors.encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        embed = scope.get("path", "").startswith("/embed")

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"same-origin"))
                if embed:
                    headers.append((b"content-security-policy",
                                    b"frame-ancestors " + self.frame_ancestors))
                else:
                    headers.append((b"x-frame-options", b"SAMEORIGIN"))
                    headers.append((b"content-security-policy", b"frame-ancestors 'self'"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
