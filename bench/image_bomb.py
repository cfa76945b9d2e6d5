"""Peak memory of the server while it is sent image bombs (issue 21, finding 4).

Each measurement runs in a fresh process: the app in process on a SQLite file, one user, then
``--at-once`` uploads of a 9,400 × 9,400 PNG (about 260 KiB) at the same time. It prints the
process's resident set before the uploads and its peak (``ru_maxrss``) after, and the answers.

    python -m bench.image_bomb --at-once 1
    python -m bench.image_bomb --at-once 3
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
from pathlib import Path

import httpx

from lakeside.app import build_app
from lakeside.config import Settings
from tests.adversarial.bombs import uniform_png


def rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def run(at_once: int, side: int) -> None:
    bomb = uniform_png(side, side)
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(data_dir=Path(data_dir), secret_key="bench", rate_limits_enabled=False)
        app = build_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=300) as http:
                reply = await http.post(
                    "/api/v1/auth/register", json={"username": "bomber", "password": "correct horse battery"}
                )
                headers = {"Authorization": f"Bearer {reply.json()['token']}"}
                # Warm up on a small image, so Pillow and its codecs are loaded before the baseline.
                small = uniform_png(64, 64)
                files = {"file": ("s.png", small, "image/png")}
                await http.post("/api/v1/files", headers=headers, files=files)
                before = rss_mib()
                bombs = [{"file": (f"b{n}.png", bomb, "image/png")} for n in range(at_once)]
                replies = await asyncio.gather(
                    *(http.post("/api/v1/files", headers=headers, files=files) for files in bombs)
                )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    answers = sorted(f"{r.status_code} {r.json().get('error', {}).get('code', 'stored')}" for r in replies)
    print(
        f"{at_once} × {side}² PNG ({len(bomb) / 1024:.0f} KiB): RSS before {before:.0f} MiB, "
        f"peak {peak:.0f} MiB (+{peak - before:.0f}); answers {answers}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--at-once", type=int, default=1)
    parser.add_argument("--side", type=int, default=9_400)
    args = parser.parse_args()
    asyncio.run(run(args.at_once, args.side))


if __name__ == "__main__":
    main()
