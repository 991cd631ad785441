"""Check the built site in headless Chromium, page by page.

    python tools/check_site.py _build/html [--executed _build/executed]

Serves the site on localhost and drives Debian's ``chromium`` over the DevTools
protocol. The landing page must have a title and the chapter navigation. Every chapter
page must have its heading, the navigation and the "open in Colab" launch link; every
image it shows must load; each code cell must show as many figures as the executed
notebook it was built from holds (so the explorers' static figures are there too);
and if the page has formulas, MathJax (served with the site, not from a CDN) must
have typeset all of them. A screenshot of one chapter page, scrolled to an explorer's
figure, is saved to ``_build/site-screenshot.png``.

If Chromium is missing it is installed with apt-get when this runs as root; otherwise
the check is skipped with a message.
"""
from __future__ import annotations

import argparse
import base64
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from notebook_figures import code_cells, explorer_cells, n_images  # noqa: E402

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--remote-allow-origins=*"]

# What a page shows, read in the page once MathJax has finished and the images have loaded.
PAGE_STATE = r"""
(async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const math = document.querySelectorAll('.math, span.math, div.math').length;
  if (math) {
    for (let i = 0; i < 200 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++) await sleep(50);
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  }
  const article = document.querySelector('.bd-article') || document.body;
  const imgs = [...article.querySelectorAll('img')];
  await Promise.all(imgs.map(i => i.complete ? 0 : new Promise(r => { i.onload = i.onerror = r; })));
  const cells = [...article.querySelectorAll('div.cell')].map(c =>
      [...c.querySelectorAll('.cell_output img')].filter(i => i.naturalWidth > 0).length);
  return {
    title: document.title,
    h1: !!article.querySelector('h1'),
    nav: !!document.querySelector('.bd-sidenav'),
    navLinks: document.querySelectorAll('.bd-sidenav a[href]').length,
    colab: !!document.querySelector('a[href*="colab.research.google.com"]'),
    broken: imgs.filter(i => i.naturalWidth === 0).map(i => i.getAttribute('src')),
    cells: cells,
    math: math,
    typeset: article.querySelectorAll('mjx-container').length,
    mathjaxSrc: [...document.scripts].map(s => s.src).filter(s => /mathjax/i.test(s)),
  };
})()
"""


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


class Browser:
    """Headless Chromium with one tab, driven over the DevTools protocol."""

    def __init__(self, binary: str, profile: str):
        import websocket

        self.proc = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
                                      "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        port, deadline = None, time.time() + 60
        while port is None and time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.proc.returncode}")
            m = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            port = int(m.group(1)) if m else None
        if port is None:
            raise RuntimeError("chromium did not open its DevTools port within 60 s")
        threading.Thread(target=self.proc.stderr.read, daemon=True).start()   # keep draining its log
        pages = []
        for _ in range(100):
            pages = [t for t in json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
                     if t["type"] == "page"]
            if pages:
                break
            time.sleep(0.1)
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=120, suppress_origin=True)
        self.next_id = 0
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1, mobile=False)

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:        # events in between are not needed
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def goto(self, url: str, timeout: float = 60.0) -> None:
        """Navigate and wait until a new document has finished loading (following a redirect,
        as the landing page's, to a page with the book's navigation)."""
        self.call("Runtime.evaluate", expression="window.__check_site_old_page = true")
        self.call("Page.navigate", url=url)
        deadline = time.time() + timeout
        probe = ("!window.__check_site_old_page && document.readyState === 'complete' && !!document.body"
                 " && !!document.querySelector('.bd-sidenav')")
        while time.time() < deadline:
            try:
                res = self.call("Runtime.evaluate", expression=probe, returnByValue=True)
            except RuntimeError as err:   # the probe ran into a navigation (the landing page redirects): ask again
                if "navigated or closed" not in str(err):
                    raise
                time.sleep(0.1)
                continue
            if res.get("result", {}).get("value") is True:
                return
            time.sleep(0.1)
        raise RuntimeError(f"{url} did not load a page with the book's navigation within {timeout:.0f} s")

    def evaluate(self, expression: str):
        res = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in res:
            raise RuntimeError(f"script failed: {res['exceptionDetails'].get('text')}")
        return res["result"].get("value")

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def executed_notebook(executed: Path, page: str):
    """The executed notebook behind a chapter page, or None if there is none."""
    nb_path = executed / Path(page).with_suffix(".ipynb")
    return nbformat.read(str(nb_path), as_version=4) if nb_path.exists() else None


def check_page(state: dict, page: str, expected: list[int] | None) -> list[str]:
    problems = []
    if not state["h1"]:
        problems.append("no heading rendered")
    if not state["nav"] or state["navLinks"] < 10:
        problems.append("no chapter navigation")
    if not state["colab"]:
        problems.append("no 'open in Colab' launch link")
    if state["broken"]:
        problems.append(f"images that do not load: {state['broken'][:5]}")
    if state["math"]:
        if any(src.startswith("http") and "127.0.0.1" not in src for src in state["mathjaxSrc"]):
            problems.append(f"MathJax comes from the network: {state['mathjaxSrc']}")
        if state["typeset"] < state["math"]:
            problems.append(f"{state['math']} formulas but only {state['typeset']} typeset by MathJax")
    if expected is not None:
        if len(state["cells"]) != len(expected):
            problems.append(f"{len(state['cells'])} code cells rendered, the notebook has {len(expected)}")
        else:
            short = [i for i, (seen, want) in enumerate(zip(state["cells"], expected)) if seen < want]
            if short:
                problems.append(f"code cells {short} show fewer figures than they drew "
                                f"({[state['cells'][i] for i in short]} vs {[expected[i] for i in short]})")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("site", nargs="?", default="_build/html")
    ap.add_argument("--executed", default=str(ROOT / "_build" / "executed"),
                    help="the executed notebooks the site was built from")
    args = ap.parse_args()
    site, executed = Path(args.site), Path(args.executed)
    if not (site / "index.html").exists():
        print(f"error: {site}/index.html does not exist; build the site first", file=sys.stderr)
        return 1
    chapters = sorted(p.relative_to(site).as_posix() for p in site.glob("chapters/*/*.html"))
    if not chapters:
        print(f"error: no chapter pages under {site}/chapters", file=sys.stderr)
        return 1
    binary = ensure_chromium()
    if binary is None:
        print("check_site: SKIPPED - no Chromium found and it cannot be installed here "
              "(install Debian's 'chromium' package, or run as root with apt-get available)")
        return 0
    server, url = serve(site)
    problems, rows, shot = [], [], site.parent / "site-screenshot.png"
    shot_page = None
    try:
        with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
            browser = Browser(binary, profile)
            try:
                browser.goto(f"{url}/index.html")
                landing = browser.evaluate(PAGE_STATE)
                if not landing["title"].strip():
                    problems.append("index.html: landing page has no title")
                if not landing["nav"] or landing["navLinks"] < 10:
                    problems.append("index.html: landing page has no chapter navigation")
                for page in chapters:
                    browser.goto(f"{url}/{page}")
                    state = browser.evaluate(PAGE_STATE)
                    nb = executed_notebook(executed, page)
                    expected = None if nb is None else [n_images(c) for c in code_cells(nb)]   # images per code cell
                    problems += [f"{page}: {p}" for p in check_page(state, page, expected)]
                    rows.append((page, sum(state["cells"]), sum(expected or []), state["math"], state["typeset"]))
                    if shot_page is None and nb is not None:
                        explorers = explorer_cells(nb)
                        if explorers and sum(state["cells"]):
                            shot_page, cell = page, explorers[0]
                            browser.evaluate(
                                "(() => { const c = document.querySelectorAll('.bd-article div.cell')[%d];"
                                " const img = c && c.querySelector('.cell_output img');"
                                " (img || c).scrollIntoView({block: 'center'}); return true; })()" % cell)
                            time.sleep(0.5)
                            browser.screenshot(shot)
            finally:
                browser.close()
    finally:
        server.shutdown()
    if shot_page is None:
        problems.append("no chapter page with an explorer figure to take a screenshot of")
    elif not shot.exists() or shot.stat().st_size < 10_000:
        problems.append("screenshot missing or empty")
    print(f"{'page':70s} {'figures':>8s} {'in nb':>6s} {'formulas':>9s} {'typeset':>8s}")
    for page, seen, want, math, typeset in rows:
        print(f"{page:70s} {seen:8d} {want:6d} {math:9d} {typeset:8d}")
    for p in problems:
        print(f"check_site: FAIL - {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"check_site: ok - landing page '{landing['title'].strip()}' and {len(chapters)} chapter pages: "
          f"{sum(r[1] for r in rows)} figures shown, {sum(r[4] for r in rows)} formulas typeset; "
          f"screenshot of {shot_page} in {shot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
