"""What the browser tests share: Debian's Chromium and serving a console app on a free port."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Iterator

from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--headless"]


def artifacts_dir(area: str) -> Path:
    """Where browser tests keep screenshots for a reviewer: $HMS_TEST_ARTIFACTS/<area>, by default
    tests/artifacts/<area> (not in git)."""
    import os

    root = Path(os.environ.get("HMS_TEST_ARTIFACTS") or Path(__file__).resolve().parents[1] / "artifacts")
    folder = root / area
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def log_in(page, url: str, name: str, password: str) -> None:
    """Log in to the console at `url` through its login form; return on the dashboard."""
    page.goto(f"{url}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


@contextlib.contextmanager
def served(app) -> Iterator[str]:
    """Serve `app` on a free local port in a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
