"""What several test modules use: the bundled corpus, a file writer, Chromium's flags and a real
``qa serve`` process on a free loopback port (for HTTP and browser tests)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from qa.config import PROJECT_DIR

BUNDLED_CORPUS = PROJECT_DIR / "corpus"
TIME_CORPUS = PROJECT_DIR / "corpus-time"  # dated stories that change: answers that know when
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


EVIL_ARTICLE = (
    "title: <script>alert('title')</script> Gossip column\n"
    "date: 2025-02-02\nsource: Untrusted feed\n\n"
    "The gossip column printed <script>window.__pwned = 1; alert('xss')</script> in its body. "
    "The column's editor is Mallory Quill."
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, root: Path, *flags: str, corpus_from: Path = BUNDLED_CORPUS) -> None:
        """``flags`` are more ``qa serve`` flags, e.g. small limits to reach in a test; the
        bundled corpus gets an article of script and markup beside it."""
        self.root = root
        corpus = root / "corpus"
        shutil.copytree(corpus_from, corpus)
        if corpus_from == BUNDLED_CORPUS:
            (corpus / "evil.md").write_text(EVIL_ARTICLE, encoding="utf-8")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (root / "server.log").open("w")
        where = ["--corpus", str(corpus), "--index", str(root / "index"), "--port", str(self.port)]
        command = [sys.executable, "-m", "qa.cli", "serve", *where, "--threads", "2", *flags]
        self.process = subprocess.Popen(
            command,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
        deadline = time.time() + 300
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"qa serve exited: {(root / 'server.log').read_text()}")
            try:
                if requests.get(f"{self.url}/api/health", timeout=2).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.5)
        raise RuntimeError("qa serve did not come up in 300 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
