"""ASGI middleware at the edge: host check, body limits, sign-in throttle, security headers.

Outermost first (:func:`install_middleware`):

``SecurityHeadersMiddleware``
    ``nosniff``, a Content-Security-Policy on every response (``script-src
    'self'`` plus the SHA-256 of each inline ``<script>`` of that HTML body,
    ``object-src 'none'``, ``base-uri 'self'``, ``frame-ancestors``), and
    ``Cache-Control: no-store`` on routes that carry personal data.
``HostMiddleware``
    A ``Host`` header not in ``GEOGRID_ALLOWED_HOSTS`` is refused (400); with
    ``GEOGRID_PUBLIC_BASE_URL`` set, every absolute URL the app builds uses that
    base, whatever the client sent. With neither set (only loopback names allowed),
    absolute URLs use the port the server listens on, not one the client made up.
``BodyLimitMiddleware``
    The body is read (and counted) before any handler sees it: past
    ``GEOGRID_MAX_BODY_BYTES`` → 413, JSON nested deeper than
    ``GEOGRID_MAX_JSON_DEPTH`` → 422, both in the documented error shape.
``SignInThrottleMiddleware``
    ``POST /auth/token`` is locked out per user name and per client address
    after repeated failures (429 with ``Retry-After``); the counts live in a
    0600 SQLite file beside the store, shared by every worker on the host.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import sqlite3
import time
from collections import OrderedDict
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

import orjson

from geogrid.security import SignInThrottle

__all__ = ["BodyLimitMiddleware", "HostMiddleware", "SecurityHeadersMiddleware",
           "SignInThrottleMiddleware", "SharedSignInThrottle", "install_middleware", "json_depth", "script_hashes",
           "NO_STORE_PREFIXES"]


async def _send_error(send, status: int, code: str, message: str, fix: str, *,
                      field: str | None = None, value=None, headers=()) -> None:
    err = {"code": code, "message": message, "field": field, "value": value, "fix": fix}
    body = orjson.dumps({"error": {k: v for k, v in err.items() if v is not None}})
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


def _replaying(message: dict, receive):
    """A ``receive`` that hands ``message`` (a body already read) over once, then reads on."""
    replayed = False

    async def replay():
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return message

    return replay


def _header(scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value
    return None


# -- request body ------------------------------------------------------------------------

_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)


def json_depth(body: bytes, stop_at: int | None = None) -> int:
    """Deepest nesting of arrays/objects in a JSON text (brackets inside strings ignored).

    >>> json_depth(b'{"a": [1, {"b": "]]]"}]}')
    3
    """
    if body.count(b"[") + body.count(b"{") <= 1:
        return int(b"[" in body or b"{" in body)
    depth = deepest = 0
    for match in _JSON_TOKENS.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_at is not None and deepest > stop_at:
                    break
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


class BodyLimitMiddleware:
    """Read the whole body first: too large → 413, JSON too deep → 422 (documented shape)."""

    def __init__(self, app, max_bytes: int, max_json_depth: int = 64):
        self.app = app
        self.max_bytes = max_bytes
        self.max_json_depth = max_json_depth

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = _header(scope, b"content-length")
        if declared is None and scope["method"] in ("GET", "HEAD") \
                and _header(scope, b"transfer-encoding") is None:
            return await self.app(scope, receive, send)     # no body: nothing to count
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            return await self._too_large(send)
        chunks, seen, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # client went away
                return
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > self.max_bytes:
                return await self._too_large(send)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        ctype = (_header(scope, b"content-type") or b"").lower()
        if b"json" in ctype and json_depth(body, self.max_json_depth) > self.max_json_depth:
            return await _send_error(
                send, 422, "invalid_input",
                f"JSON 嵌套超过 {self.max_json_depth} 层 / JSON is nested deeper than "
                f"{self.max_json_depth} levels.", "展平请求体 / Flatten the request body "
                "(see GEOGRID_MAX_JSON_DEPTH).", field="body", value=f">{self.max_json_depth}")
        await self.app(scope, _replaying({"type": "http.request", "body": body,
                                          "more_body": False}, receive), send)

    async def _too_large(self, send):
        await _send_error(send, 413, "limit_exceeded",
                          f"请求体超过 {self.max_bytes} 字节 / request body is larger than "
                          f"{self.max_bytes} bytes.", "分批发送 / Send smaller batches "
                          "(see GEOGRID_MAX_BODY_BYTES).", field="body", value=self.max_bytes)


# -- host --------------------------------------------------------------------------------

def _hostname(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _on_server_port(scope, host: str):
    """``scope`` with its Host naming the port the server really listens on."""
    name = _hostname(host)
    name = f"[{name}]" if ":" in name else name
    port = scope["server"][1]
    default = {"http": 80, "https": 443}.get(scope.get("scheme", "http"))
    netloc = (name if port == default else f"{name}:{port}").encode("latin-1")
    headers = [(k, v) for k, v in scope["headers"] if k != b"host"]
    return dict(scope, headers=[(b"host", netloc), *headers])


class HostMiddleware:
    """Refuse unlisted ``Host`` headers; pin absolute URLs to the configured public base."""

    def __init__(self, app, allowed_hosts: str, public_base_url: str | None = None,
                 pin_port: bool = False):
        self.app = app
        self.pin_port = pin_port and not public_base_url
        self.allowed = [h.strip().lower() for h in allowed_hosts.split(",") if h.strip()]
        self.base: tuple[str, bytes] | None = None
        if public_base_url:
            parts = urlsplit(public_base_url)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
                from geogrid.errors import InputError
                raise InputError(
                    f"GEOGRID_PUBLIC_BASE_URL 应为 scheme://host[:port] / must be "
                    f"scheme://host[:port]: {public_base_url!r}.", field="public_base_url",
                    value=public_base_url, fix="例如 / e.g. https://grid.example.cn")
            self.base = (parts.scheme, parts.netloc.encode())
            self.allowed.append(_hostname(parts.netloc))

    def allows(self, host: str) -> bool:
        name = _hostname(host)
        return any(a == "*" or a == name or (a.startswith("*.") and name.endswith(a[1:]))
                   for a in self.allowed)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        raw = _header(scope, b"host")
        host = raw.decode("latin-1") if raw is not None else ""
        if raw is None or not self.allows(host):
            return await _send_error(
                send, 400, "bad_host",
                f"主机名 {host!r} 不在允许列表中 / host {host!r} is not an allowed host.",
                "使用已配置的地址，或把它加入 GEOGRID_ALLOWED_HOSTS / Use the configured address "
                "or add it to GEOGRID_ALLOWED_HOSTS (comma-separated).", field="Host",
                value=host[:100])
        if self.base is not None:
            scheme, netloc = self.base
            headers = [(k, v) for k, v in scope["headers"] if k != b"host"]
            scope = dict(scope, scheme=scheme, headers=[(b"host", netloc), *headers])
        elif self.pin_port and scope.get("server") and scope["server"][1]:
            scope = _on_server_port(scope, host)
        await self.app(scope, receive, send)


# -- sign-in throttle --------------------------------------------------------------------

async def _form_username(scope, message) -> str | None:
    """The ``username`` field of a sign-in body, parsed as the endpoint will parse it
    (urlencoded or multipart), so no encoding slips past the per-user count."""
    from starlette.requests import Request

    async def once():
        return message

    try:
        form = await Request(scope, receive=once).form()
        value = form.get("username")
        await form.close()
    except Exception:  # noqa: BLE001 - an unparsable body fails sign-in on its own
        return None
    return str(value)[:64] or None if isinstance(value, str) else None


class SignInThrottleMiddleware:
    """Lock ``POST /auth/token`` per user name and client address after repeated failures."""

    def __init__(self, app, throttle: SignInThrottle, path: str = "/auth/token"):
        self.app = app
        self.throttle = throttle
        self.path = path

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        message = await receive()  # BodyLimitMiddleware hands the whole body in one message
        username = await _form_username(scope, message)
        address = (scope.get("client") or ("",))[0] or None
        wait = self.throttle.locked_for(username, address)
        if wait > 0:
            return await _send_error(
                send, 429, "too_many_attempts",
                "登录失败次数过多，已暂时锁定 / too many failed sign-ins; locked for now.",
                f"{int(wait) + 1} 秒后再试 / Try again in {int(wait) + 1} s.",
                field="username", value=username, headers=[(b"retry-after",
                                                            str(int(wait) + 1).encode())])
        async def watch(msg):
            # count the outcome before the client hears it: once it has a 401, its next try
            # (on this worker or another) already sees the failure, and the lock it may cause
            if msg["type"] == "http.response.start":
                if msg["status"] == 401:
                    self.throttle.failed(username, address)
                elif msg["status"] == 200:
                    self.throttle.succeeded(username, address)
            await send(msg)

        await self.app(scope, _replaying(message, receive), watch)


# -- security headers --------------------------------------------------------------------

#: responses under these paths carry personal data: never cached anywhere
NO_STORE_PREFIXES = ("/incidents", "/users", "/audit", "/responders", "/geocode", "/reverse",
                     "/auth", "/queues", "/reports", "/open311/v2/requests", "/tokens",
                     "/webhooks")
_SRC_ATTR = re.compile(rb"\ssrc\s*=")


def script_hashes(html: bytes) -> list[str]:
    """CSP source expressions (``'sha256-…'``) for each inline ``<script>`` of a page.

    A plain scan (``bytes.find`` on a lower-cased copy), linear in the page:
    a regular expression with a lazy body took 13 ms on the 240 KiB coverage map.

    >>> script_hashes(b"<script>alert(1)</script><script src='/a.js'></script>")
    ["'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"]
    """
    low, found, i = html.lower(), set(), 0
    while (i := low.find(b"<script", i)) != -1:
        end, close = low.find(b">", i), low.find(b"</script", i)
        if end == -1 or close == -1:
            break
        tag = low[i + 7:end]
        if end < close and (not tag or tag[:1] in b" \t\r\n/") and not _SRC_ATTR.search(tag):
            found.add(html[end + 1:close])
        i = max(close, end) + 1
    return sorted("'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
                  for body in found)


class SecurityHeadersMiddleware:
    """CSP (with inline-script hashes for HTML), nosniff, framing rules and no-store."""

    _CACHE_SIZE = 256

    def __init__(self, app, frame_ancestors: str = "*"):
        self.app = app
        self.frame_ancestors = frame_ancestors
        self._csp_cache: OrderedDict[bytes, bytes] = OrderedDict()

    def _csp(self, embed: bool, body: bytes | None) -> bytes:
        ancestors = self.frame_ancestors if embed else "'self'"
        key = hashlib.sha256(body or b"").digest() + bytes([embed])  # SHA-NI: ~1 GB/s
        hit = self._csp_cache.get(key)
        if hit is not None:
            self._csp_cache.move_to_end(key)
            return hit
        scripts = " ".join(["'self'", *script_hashes(body or b"")])
        csp = (f"script-src {scripts}; object-src 'none'; base-uri 'self'; "
               f"frame-ancestors {ancestors}").encode()
        self._csp_cache[key] = csp
        if len(self._csp_cache) > self._CACHE_SIZE:
            self._csp_cache.popitem(last=False)
        return csp

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        embed = path.startswith("/embed")
        no_store = path.startswith(NO_STORE_PREFIXES)
        held: dict = {}
        chunks: list[bytes] = []

        def finish(start: dict, body: bytes | None) -> dict:
            headers = [(k, v) for k, v in start.get("headers", [])
                       if not (no_store and k.lower() == b"cache-control")]
            headers += [(b"x-content-type-options", b"nosniff"),
                        (b"referrer-policy", b"same-origin"),
                        (b"content-security-policy", self._csp(embed, body))]
            if not embed:
                headers.append((b"x-frame-options", b"SAMEORIGIN"))
            if no_store:
                headers += [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
            return dict(start, headers=headers)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                ctype = dict((k.lower(), v) for k, v in message.get("headers", [])).get(
                    b"content-type", b"")
                if ctype.startswith(b"text/html"):
                    held["start"] = message  # hold until the body is known
                    return
                return await send(finish(message, None))
            if message["type"] == "http.response.body" and "start" in held:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                await send(finish(held.pop("start"), body))
                return await send({"type": "http.response.body", "body": body})
            await send(message)

        await self.app(scope, receive, with_headers)


class SharedSignInThrottle(SignInThrottle):
    """:class:`~geogrid.security.SignInThrottle` kept in a small SQLite file, so every
    worker process on the host counts the same failures and honours the same locks."""

    def __init__(self, path: Path, **kw):
        super().__init__(clock=time.time, **kw)
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("CREATE TABLE IF NOT EXISTS fails (kind TEXT, key TEXT, at REAL)")
            db.execute("CREATE TABLE IF NOT EXISTS locks (kind TEXT, key TEXT, until REAL, "
                       "PRIMARY KEY (kind, key))")
        os.chmod(path, 0o600)

    def _db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10, isolation_level="IMMEDIATE")
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def locked_for(self, username, address) -> float:
        now, keys = self.clock(), self._keys(username, address)
        with closing(self._db()) as db:
            until = [db.execute("SELECT until FROM locks WHERE kind = ? AND key = ?", k).fetchone()
                     for k in keys]
        return max([u[0] - now for u in until if u] + [0.0])

    def failed(self, username, address) -> None:
        now = self.clock()
        with closing(self._db()) as db, db:
            for kind, key in self._keys(username, address):
                db.execute("DELETE FROM fails WHERE at <= ?", (now - self.window_s,))
                db.execute("INSERT INTO fails VALUES (?, ?, ?)", (kind, key, now))
                n = db.execute("SELECT count(*) FROM fails WHERE kind = ? AND key = ?",
                               (kind, key)).fetchone()[0]
                if n >= self.limits[kind]:
                    db.execute("INSERT OR REPLACE INTO locks VALUES (?, ?, ?)",
                               (kind, key, now + self.lockout_s))
                    db.execute("DELETE FROM fails WHERE kind = ? AND key = ?", (kind, key))

    def succeeded(self, username, address) -> None:
        with closing(self._db()) as db, db:
            db.execute("DELETE FROM fails WHERE kind = 'user' AND key = ?", (username,))
            db.execute("DELETE FROM locks WHERE kind = 'user' AND key = ?", (username,))

    def clear(self) -> None:
        """Forget every failure and lock (an admin's reset)."""
        with closing(self._db()) as db, db:
            db.execute("DELETE FROM fails")
            db.execute("DELETE FROM locks")


def install_middleware(app, settings) -> None:
    """Add the edge middleware to ``app`` in the order described above, and choose (and
    log) the session signing key as the worker starts."""
    from .auth import init_jwt_secret, state_file

    init_jwt_secret(settings)

    throttle = SharedSignInThrottle(
        state_file(settings, "signin"),
        max_failures=settings.signin_max_failures,
        max_per_address=settings.signin_max_failures_per_address,
        window_s=settings.signin_window_s, lockout_s=settings.signin_lockout_s)
    app.state.signin_throttle = throttle
    app.add_middleware(SignInThrottleMiddleware, throttle=throttle)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes,
                       max_json_depth=settings.max_json_depth)
    app.add_middleware(HostMiddleware, allowed_hosts=settings.allowed_hosts,
                       public_base_url=settings.public_base_url,
                       pin_port="allowed_hosts" not in settings.model_fields_set)
    app.add_middleware(SecurityHeadersMiddleware, frame_ancestors=settings.frame_ancestors)
