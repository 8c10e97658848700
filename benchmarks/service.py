"""Service benchmark: /api/ask latency and throughput of a real ``qa serve`` on the BBC corpus.

    python -m benchmarks.service [--seconds 30] [--clients 1,8,32] [--batch-questions 1,8]
                                 [--readers fast,cascade,cascade@0.5,accurate]
    python -m benchmarks.service --soak-minutes 10
    python -m benchmarks.service --attacks [--seconds 60]


For each reader of ``--readers`` (the ``reader`` setting; ``cascade@B`` is the cascade with the
bound ``cascade_unsure_below`` B, ``cascade@B:K`` re-reads the windows of K candidates
(``cascade_window_candidates``), and its accurate reader is ``QA_CASCADE_ACCURATE``; a suffix
``/P`` sets ``reader_precision`` P, as in ``cascade/onnx-int8``) and each
``--batch-questions`` value (questions one reader pass may take; 1 reads them one by one, as
before batching) a server is started; sequential requests give p50/p95
latency, then each ``--clients`` count of threads asks for ``--seconds``: questions/s, p50/p95,
errors and the server's RSS. ``--soak-minutes`` instead runs one server for that long at 8 clients
that mix good questions with hostile requests (too long, nested, malformed, oversized, bad
``top_k``): every good request must get 200, every hostile one a 4xx, and the server's RSS must grow
less than 10% after the first minute. ``--attacks`` runs one server with its default guards through
levels, each ``--seconds`` long, while a good client on 127.0.0.2 asks one new question after
another: alone; beside 1,000 slow sockets from 127.0.0.1 (a partial header line, then a byte every
25 s, reconnecting when cut off); beside clients sending bodies that claim 400 MB; beside a crowd of
64 clients (each on its own address, asking new questions); then one question again and again, which
the answer cache answers. Each level reports the good client's p50/p95 and errors, the crowd's 503s,
other 5xx and hangs, and the disk and memory the server used. Traffic stays on loopback.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from benchmarks._crowd import crowd
from benchmarks._shared import SHARED_DATA, rss_mb
from benchmarks._table import print_table
from qa.config import Settings
from qa.metrics import percentile

ROOT = Path(__file__).resolve().parents[1]
BBC = SHARED_DATA / "bbc-news"


def questions(n: int) -> list[str]:
    """Questions made from BBC titles, e.g. "What happened: Ink helps drive democracy in Asia?"."""
    files = sorted(BBC.rglob("*.txt"))[:: max(1, 2225 // n)][:n]
    return [
        "What happened: "
        f"{p.read_text(encoding='utf-8', errors='replace').split(chr(10), 1)[0].strip()}?"
        for p in files
    ]


def start_server(
    args: argparse.Namespace, batch_questions: int, cache: bool = False, reader: str = "fast"
) -> tuple[subprocess.Popen, str]:
    """``qa serve`` on BBC news with its defaults; without ``cache`` every question is read (the
    load levels repeat their 100 questions)."""
    flags = ["--corpus", str(BBC), "--index", str(args.index), "--port", str(args.port)]
    command = [sys.executable, "-m", "qa.cli", "serve", *flags]
    reader, _, precision = reader.partition("/")
    name, _, cascade = reader.partition("@")
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "QA_READ_BATCH_QUESTIONS": str(batch_questions),
        "QA_READER": name,
    }
    if precision:
        env["QA_READER_PRECISION"] = precision
    if cascade:
        bound, _, candidates = cascade.partition(":")
        env["QA_CASCADE_UNSURE_BELOW"] = bound
        if candidates:
            env["QA_CASCADE_WINDOW_CANDIDATES"] = candidates
    if not cache:
        env["QA_ANSWER_CACHE_SIZE"] = "0"
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{args.port}"
    started = time.time()
    while True:
        try:
            if requests.get(f"{url}/api/health", timeout=2).ok:
                return server, url
        except requests.ConnectionError:
            if server.poll() is not None or time.time() - started > 1800:
                raise SystemExit("server did not start") from None
            time.sleep(1)


def load(url: str, asks: list[str], clients: int, seconds: float) -> tuple[float, list[float], int]:
    """(questions/s, latencies in ms, errors) of ``clients`` threads asking for ``seconds``."""

    def ask(turn: int) -> bool:
        try:
            question = {"question": asks[turn % len(asks)]}
            return requests.post(f"{url}/api/ask", json=question, timeout=120).status_code == 200
        except requests.RequestException:
            return False

    return crowd(ask, clients, seconds)


HOSTILE: list[tuple[str, dict]] = [
    ("question too long", {"json": {"question": "why? " * 400}}),
    ("nested JSON", {"data": "[" * 10_000, "headers": {"Content-Type": "application/json"}}),
    ("not JSON", {"data": b"\xff\xfe{", "headers": {"Content-Type": "application/json"}}),
    (
        "lone surrogate",
        {"data": '{"question": "\\ud800 who?"}', "headers": {"Content-Type": "application/json"}},
    ),
    ("bad top_k", {"json": {"question": "Who won?", "top_k": "1_0"}}),
    ("oversized body", {"data": "x" * 2_000_000, "headers": {"Content-Type": "application/json"}}),
    ("no words", {"json": {"question": "\u0000\u0000?"}}),
    ("bad batch", {"json": {"questions": ["Who won?"] * 100}}),
]


def soak(url: str, asks: list[str], server_pid: int, minutes: float, clients: int = 8) -> None:
    """Good and hostile requests mixed (one hostile in four) for ``minutes``; RSS every 10 s."""
    counts = {"good": 0, "good failed": 0, "hostile": 0, "hostile not 4xx": 0}
    lock = threading.Lock()
    started = time.time()
    deadline = started + minutes * 60
    rss: list[tuple[float, float]] = []

    def client(offset: int) -> None:
        i = offset
        while time.time() < deadline:
            hostile = i % 4 == 3
            try:
                if hostile:
                    _, request = HOSTILE[(i // 4) % len(HOSTILE)]
                    status = requests.post(f"{url}/api/ask", timeout=120, **request).status_code
                    failed = not 400 <= status < 500
                else:
                    status = requests.post(
                        f"{url}/api/ask", json={"question": asks[i % len(asks)]}, timeout=120
                    ).status_code
                    failed = status != 200
            except requests.RequestException:
                failed = True
            kind = "hostile" if hostile else "good"
            with lock:
                counts[kind] += 1
                counts[f"{kind} failed" if not hostile else "hostile not 4xx"] += failed
            i += clients

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        rss.append((time.time() - started, rss_mb(server_pid)))
        time.sleep(10)
    after_first_minute = next(mb for at, mb in rss if at >= 60) if rss[-1][0] >= 60 else rss[0][1]
    growth = 100 * (rss[-1][1] - after_first_minute) / after_first_minute
    print_table(
        f"soak: {minutes:.0f} min, {clients} clients, one hostile request in four",
        [
            "good requests",
            "good failed",
            "hostile requests",
            "hostile not 4xx",
            "RSS at 1 min MB",
            "RSS at end MB",
            "RSS growth %",
        ],
        [
            [
                counts["good"],
                counts["good failed"],
                counts["hostile"],
                counts["hostile not 4xx"],
                after_first_minute,
                rss[-1][1],
                growth,
            ]
        ],
    )


def ask_from(url: str, question: str, address: str = "127.0.0.2") -> int:
    """One question from a client on ``address``: the HTTP status (0 for no answer at all)."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(
        host, int(port), timeout=120, source_address=(address, 0)
    )
    try:
        body = json.dumps({"question": question})
        connection.request("POST", "/api/ask", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return 0
    finally:
        connection.close()


def slow_sockets(port: int, count: int, stop: threading.Event) -> None:
    """``count`` sockets that each send a partial request, then one byte every 25 s."""
    sockets: list[socket.socket | None] = [None] * count
    last_byte = [0.0] * count
    while not stop.is_set():
        for n in range(count):
            if stop.is_set():
                break
            try:
                if sockets[n] is None:
                    sockets[n] = socket.create_connection(("127.0.0.1", port), timeout=2)
                    sockets[n].sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                    last_byte[n] = time.time()
                elif time.time() - last_byte[n] >= 25:
                    sockets[n].sendall(b"a")
                    last_byte[n] = time.time()
            except OSError:  # cut off by the server: come back
                if sockets[n] is not None:
                    sockets[n].close()
                sockets[n] = None
        stop.wait(0.2)
    for connection in sockets:
        if connection is not None:
            connection.close()


def huge_bodies(port: int, stop: threading.Event, refused: list[float]) -> None:
    """Requests that claim a 400 MB body and send its first MB; the seconds to each 413."""
    while not stop.is_set():
        started = time.perf_counter()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
                connection.sendall(
                    b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 400000000\r\n\r\n"
                )
                try:
                    connection.sendall(b"[" * 2**20)
                except OSError:
                    pass  # refused before the body was taken: the point
                if connection.recv(12).startswith(b"HTTP/1.1 413"):
                    refused.append(time.perf_counter() - started)
        except OSError:
            pass


_ASKED = itertools.count()


def unique(asks: list[str]) -> str:
    """A question never asked before in the run, so that the answer cache cannot serve it."""
    n = next(_ASKED)
    return f"{asks[n % len(asks)]} (#{n})"


def crowd_client(
    url: str, asks: list[str], member: int, stop: threading.Event, statuses: list[int]
) -> None:
    """Member ``member`` of a crowd, on its own loopback address (127.0.1.N), asking again as
    soon as it has an answer."""
    address = f"127.0.1.{member + 1}"
    while not stop.is_set():
        statuses.append(ask_from(url, unique(asks), address))


def attacks(args: argparse.Namespace, asks: list[str]) -> None:
    """The good client's answers beside each attack, one server, one run."""
    server, url = start_server(args, Settings().read_batch_questions, cache=True)
    spool = tempfile.gettempdir()
    rows = []
    try:
        levels = ("alone", "1,000 slow sockets", "400 MB bodies", "64 clients", "repeated question")
        for level in levels:
            stop, refused = threading.Event(), []
            crowd_statuses: list[int] = []
            disk_before = shutil.disk_usage(spool).used
            attackers = []
            if level == "1,000 slow sockets":
                attackers = [threading.Thread(target=slow_sockets, args=(args.port, 1000, stop))]
            elif level == "400 MB bodies":
                attackers = [
                    threading.Thread(target=huge_bodies, args=(args.port, stop, refused))
                    for _ in range(4)
                ]
            elif level == "64 clients":
                attackers = [
                    threading.Thread(target=crowd_client, args=(url, asks, n, stop, crowd_statuses))
                    for n in range(64)
                ]
            for attacker in attackers:
                attacker.start()
            time.sleep(2)
            good: list[float] = []
            good_errors, turn, deadline = 0, 0, time.time() + args.seconds
            while time.time() < deadline:
                started = time.perf_counter()
                repeated = level == "repeated question"  # the answer cache's hits
                status = ask_from(url, asks[0] if repeated else unique(asks))
                if status == 200:
                    good.append((time.perf_counter() - started) * 1000)
                else:
                    good_errors += 1
                turn += 1
            disk_mb = (shutil.disk_usage(spool).used - disk_before) / 2**20
            rss = rss_mb(server.pid)
            stop.set()
            for attacker in attackers:
                attacker.join()
            rows.append(
                [
                    level,
                    len(good),
                    percentile(good, 50) if good else float("nan"),
                    percentile(good, 95) if good else float("nan"),
                    good_errors,
                    crowd_statuses.count(200),
                    crowd_statuses.count(503),
                    sum(500 <= s < 600 and s != 503 for s in crowd_statuses),
                    crowd_statuses.count(0),
                    f"{len(refused)} in {max(refused):.2f} s at most" if refused else "-",
                    disk_mb,
                    rss,
                ]
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    print_table(
        f"attacks on qa serve (BBC corpus), good client on 127.0.0.2, {args.seconds:.0f} s a level",
        [
            "level",
            "good answers",
            "good p50 ms",
            "good p95 ms",
            "good errors",
            "crowd 200",
            "crowd 503",
            "crowd other 5xx",
            "crowd no answer",
            "413s",
            "disk MB",
            "server RSS MB",
        ],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument(
        "--clients", type=lambda v: [int(n) for n in v.split(",")], default=[1, 8, 32]
    )
    parser.add_argument(
        "--batch-questions", type=lambda v: [int(n) for n in v.split(",")], default=[1, 8]
    )
    parser.add_argument("--requests", type=int, default=100, help="sequential requests for latency")
    parser.add_argument("--readers", default="fast", help="comma-separated reader settings")
    parser.add_argument("--index", type=Path, default=Path(tempfile.gettempdir()) / "qa-bbc-index")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--soak-minutes", type=float, help="run the soak test instead")
    parser.add_argument("--attacks", action="store_true", help="run the attack levels instead")
    args = parser.parse_args()
    asks = questions(args.requests)
    if args.attacks:
        attacks(args, asks)
        return
    if args.soak_minutes:
        server, url = start_server(args, Settings().read_batch_questions)
        try:
            soak(url, asks, server.pid, args.soak_minutes)
        finally:
            server.terminate()
            server.wait(timeout=30)
        return
    rows = []
    runs = [(r, b) for r in args.readers.split(",") for b in args.batch_questions]
    for reader, batch_questions in runs:
        server, url = start_server(args, batch_questions, reader=reader)
        try:
            latencies, server_total = [], []
            for q in asks:
                t = time.perf_counter()
                body = requests.post(f"{url}/api/ask", json={"question": q}, timeout=60).json()
                latencies.append((time.perf_counter() - t) * 1000)
                server_total.append(body["timings_ms"]["total"])
            rows.append(
                [
                    reader,
                    batch_questions,
                    "sequential",
                    len(latencies) / (sum(latencies) / 1000),
                    percentile(latencies, 50),
                    percentile(latencies, 95),
                    0,
                    rss_mb(server.pid),
                ]
            )
            for clients in args.clients:
                rate, concurrent, errors = load(url, asks, clients, args.seconds)
                rows.append(
                    [
                        reader,
                        batch_questions,
                        clients,
                        rate,
                        percentile(concurrent, 50),
                        percentile(concurrent, 95),
                        errors,
                        rss_mb(server.pid),
                    ]
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
    print_table(
        f"qa serve on the BBC corpus, POST /api/ask, loopback, {args.seconds:.0f} s per load level",
        [
            "reader",
            "questions per reader pass",
            "clients",
            "questions/s",
            "p50 ms",
            "p95 ms",
            "errors",
            "server RSS MB",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
