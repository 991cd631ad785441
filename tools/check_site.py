"""Check the built site in headless Chromium.

    python tools/check_site.py _build/html

Serves the site on localhost, loads the landing page and a chapter page in headless
Chromium (Debian's ``chromium``), and checks that they render, that the chapter
navigation and the "open in Colab" launch link are present, and saves a screenshot
to ``_build/site-screenshot.png``. If Chromium is missing it is installed with
apt-get when this runs as root; otherwise the check is skipped with a message.
"""
from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--disable-dev-shm-usage", "--hide-scrollbars"]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def ensure_chromium() -> str | None:
    path = find_chromium()
    if path or not shutil.which("apt-get") or os.geteuid() != 0:
        return path
    print("check_site: installing Debian's chromium with apt-get ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=False, env=env,
                   stdout=subprocess.DEVNULL)
    return find_chromium()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def chromium(binary: str, profile: str, *args: str) -> str:
    proc = subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120)
    if proc.returncode:
        raise RuntimeError(f"chromium exited with {proc.returncode}: {proc.stderr[-2000:]}")
    return proc.stdout


def main() -> int:
    site = Path(sys.argv[1] if len(sys.argv) > 1 else "_build/html")
    if not (site / "index.html").exists():
        print(f"error: {site}/index.html does not exist; build the site first", file=sys.stderr)
        return 1
    chapter = sorted(site.glob("chapters/*/*.html"))
    if not chapter:
        print(f"error: no chapter pages under {site}/chapters", file=sys.stderr)
        return 1
    binary = ensure_chromium()
    if binary is None:
        print("check_site: SKIPPED - no Chromium found and it cannot be installed here "
              "(install Debian's 'chromium' package, or run as root with apt-get available)")
        return 0
    server, url = serve(site)
    problems = []
    try:
        with tempfile.TemporaryDirectory() as profile:
            landing = chromium(binary, profile, "--virtual-time-budget=5000", "--dump-dom", f"{url}/index.html")
            page = chapter[0].relative_to(site).as_posix()
            dom = chromium(binary, profile, "--virtual-time-budget=5000", "--dump-dom", f"{url}/{page}")
            shot = site.parent / "site-screenshot.png"
            chromium(binary, profile, "--window-size=1280,900", f"--screenshot={shot.resolve()}", f"{url}/{page}")
    finally:
        server.shutdown()
    title = re.search(r"<title>(.*?)</title>", landing, re.S)
    if not title or not title.group(1).strip():
        problems.append("landing page has no title")
    if "bd-sidenav" not in landing or "chapters/" not in landing:
        problems.append("landing page has no chapter navigation")
    if "bd-sidenav" not in dom:
        problems.append(f"{page}: no chapter navigation")
    if "colab.research.google.com" not in dom:
        problems.append(f"{page}: no 'open in Colab' launch link")
    if "<h1" not in dom:
        problems.append(f"{page}: no heading rendered")
    if not shot.exists() or shot.stat().st_size < 10_000:
        problems.append("screenshot missing or empty")
    for p in problems:
        print(f"check_site: FAIL - {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"check_site: ok - landing page '{title.group(1).strip()}', {page} with navigation and "
          f"Colab link; screenshot {shot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
