"""Service benchmark: /api/ask latency and throughput of a real ``qa serve`` on the BBC corpus.

    python benchmarks/service.py [--seconds 30] [--clients 8]

Sequential requests give p50/p95 latency; then ``--clients`` threads ask for ``--seconds``
and we count requests/s and errors. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import print_table  # noqa: E402

from qa.config import SHARED_DATA  # noqa: E402
from qa.metrics import percentile  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BBC = SHARED_DATA / "bbc-news"


def questions(n: int) -> list[str]:
    """Questions made from BBC titles, e.g. "What happened: Ink helps drive democracy in Asia?"."""
    files = sorted(BBC.rglob("*.txt"))[:: max(1, 2225 // n)][:n]
    return [f"What happened: {p.read_text(encoding='utf-8', errors='replace').split(chr(10), 1)[0].strip()}?" for p in files]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=100, help="sequential requests for latency")
    parser.add_argument("--index", type=Path, default=Path(tempfile.gettempdir()) / "qa-bbc-index")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    command = [sys.executable, "-m", "qa.cli", "serve", "--corpus", str(BBC), "--index", str(args.index), "--port", str(args.port)]
    server = subprocess.Popen(command, env={**os.environ, "HF_HUB_OFFLINE": "1"}, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{args.port}"
    try:
        started = time.time()
        while True:
            try:
                if requests.get(f"{url}/api/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                if server.poll() is not None or time.time() - started > 1800:
                    raise SystemExit("server did not start")
                time.sleep(1)
        asks = questions(args.requests)
        latencies, server_total = [], []
        for q in asks:
            t = time.perf_counter()
            body = requests.post(f"{url}/api/ask", json={"question": q}, timeout=60).json()
            latencies.append((time.perf_counter() - t) * 1000)
            server_total.append(body["timings_ms"]["total"])

        done, errors, lock = [0], [0], threading.Lock()
        deadline = time.time() + args.seconds

        def client(offset: int) -> None:
            i = offset
            while time.time() < deadline:
                try:
                    ok = requests.post(f"{url}/api/ask", json={"question": asks[i % len(asks)]}, timeout=60).status_code == 200
                except requests.RequestException:
                    ok = False
                with lock:
                    done[0] += ok
                    errors[0] += not ok
                i += args.clients

        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        print_table(
            "qa serve on the BBC corpus (2225 articles), POST /api/ask, loopback",
            ["requests", "p50 ms", "p95 ms", "server p50 ms", f"{args.clients} clients req/s", "errors"],
            [[len(latencies), percentile(latencies, 50), percentile(latencies, 95), percentile(server_total, 50),
              done[0] / elapsed, errors[0]]],
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
