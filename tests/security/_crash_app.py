"""The real app, wrapped so the worker SIGKILLs itself after an intake commits but before
the reply leaves: the crash window that only a client retry can cover.

Run as ``uvicorn --factory tests.security._crash_app:create_app``.
"""

from __future__ import annotations

import os
import signal

from api.app import create_app as _create_app

__all__ = ["create_app"]


def create_app():
    app = _create_app()

    async def crash_before_reply(scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != "/incidents":
            return await app(scope, receive, send)

        async def die_on_start(message):
            if message["type"] == "http.response.start" and message["status"] == 201:
                os.kill(os.getpid(), signal.SIGKILL)  # the row is committed; the reply is not sent
            await send(message)

        await app(scope, receive, die_on_start)

    crash_before_reply.state = app.state
    return crash_before_reply
