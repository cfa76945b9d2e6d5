"""Running real servers inside the test's event loop, on real sockets."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn

from lakeside.app import build_app
from lakeside.config import Settings

SERVED: dict[str, Any] = {}  # base URL -> app, for tests that look inside a running server


@asynccontextmanager
async def running_server(settings: Settings, *, send_buffer: int | None = None) -> AsyncIterator[str]:
    """Serve the app with uvicorn on 127.0.0.1 and a free port; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if send_buffer is not None:  # accepted sockets inherit it: lets a test fill the pipe quickly
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = build_app(settings)
    config = uvicorn.Config(app, log_level="warning", ws="websockets-sansio", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):
            if server.started:
                break
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        url = f"http://127.0.0.1:{port}"
        SERVED[url] = app
        yield url
    finally:
        SERVED.pop(f"http://127.0.0.1:{port}", None)
        server.should_exit = True
        await asyncio.wait_for(task, 15)
        sock.close()
