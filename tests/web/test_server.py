"""The server's guards, over real sockets against a real ``qa serve`` with small limits: bodies
refused before they are stored, slow clients cut off, one address capped, overload answered with
503 at once, repeated questions answered from the cache."""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from helpers import Server, free_port

pytestmark = pytest.mark.model

DEADLINE_S = 3
PER_ADDRESS = 16
WAITING_PASSAGES = 10


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory):
    running = Server(
        tmp_path_factory.mktemp("guarded"),
        "--request-deadline", str(DEADLINE_S),
        "--connections-per-address", str(PER_ADDRESS),
        "--max-waiting-passages", str(WAITING_PASSAGES),
        "--max-batch-passages", str(WAITING_PASSAGES),
        "--answer-cache-size", "0",
    )  # fmt: skip
    yield running
    running.stop()


def ask_from(address: str, port: int, question: str) -> tuple[int, dict]:
    """A good client on another loopback address than the attackers'."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=30, source_address=(address, 0)
    )
    try:
        connection.request("GET", f"/api/ask?q={requests.utils.quote(question)}")
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_a_huge_body_is_refused_by_its_length_before_it_is_stored(guarded: Server) -> None:
    spool = tempfile.gettempdir()
    used = shutil.disk_usage(spool).used
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", guarded.port), timeout=10) as connection:
        connection.sendall(
            b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 400000000\r\n\r\n" + b"{" * 65536
        )
        reply = b""
        while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            reply += chunk
    elapsed = time.perf_counter() - started
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), reply[:200]
    assert b"application/json" in head
    assert json.loads(body) == {"error": "request body is larger than 65536 bytes"}
    assert elapsed < 5  # answered at once, not after reading 400 MB
    assert shutil.disk_usage(spool).used - used < 50 * 2**20


def test_slow_clients_are_cut_off_and_capped_per_address(guarded: Server) -> None:
    slow: list[socket.socket] = []
    try:
        for _ in range(PER_ADDRESS * 3):
            connection = socket.create_connection(("127.0.0.1", guarded.port), timeout=10)
            try:
                connection.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")  # never finished
            except OSError:
                pass
            slow.append(connection)
        time.sleep(0.5)
        closed = [c for c in slow if _closed_by_server(c)]
        assert len(closed) == len(slow) - PER_ADDRESS  # all over the cap, at once
        status, body = ask_from("127.0.0.2", guarded.port, "Who wrote the script?")
        assert status == 200 and body["answer"]  # another address is served meanwhile
        started = time.monotonic()
        kept = [c for c in slow if c not in closed]
        while time.monotonic() - started < DEADLINE_S + 5:
            for connection in kept:
                try:
                    connection.sendall(b"X")  # a byte now and then no longer keeps it open
                except OSError:
                    pass
            if all(_closed_by_server(c) for c in kept):
                break
            time.sleep(0.5)
        assert all(_closed_by_server(c) for c in kept)
        assert time.monotonic() - started < DEADLINE_S + 3
    finally:
        for connection in slow:
            connection.close()


def _closed_by_server(connection: socket.socket) -> bool:
    connection.setblocking(False)
    try:
        return connection.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        connection.setblocking(True)


def test_an_overloaded_server_says_so_at_once(guarded: Server) -> None:
    """Each question reads 5 passages and at most 10 may wait: a crowd of 12 gets 503s."""

    def ask(n: int) -> tuple[int, str | None, float]:
        started = time.perf_counter()
        response = requests.get(
            f"{guarded.url}/api/ask", params={"q": f"Who sings the song number {n}?"}, timeout=120
        )
        return (
            response.status_code,
            response.headers.get("Retry-After"),
            time.perf_counter() - started,
        )

    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(ask, range(12)))
    statuses = [status for status, _, _ in results]
    assert set(statuses) <= {200, 503} and statuses.count(200) >= 2 and 503 in statuses
    for status, retry_after, _ in results:
        if status == 503:
            assert retry_after is not None and int(retry_after) >= 1
    refused = requests.get(f"{guarded.url}/api/ask", params={"q": "Who sings?"}, timeout=60)
    assert refused.status_code == 200  # the crowd gone, the next question is read


def test_a_batch_that_costs_too_much_is_refused(guarded: Server) -> None:
    response = requests.post(
        f"{guarded.url}/api/ask",
        json={"questions": ["Who sings?", "Who wrote it?", "Who directs?"], "top_k": 5},
        timeout=30,
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("this batch asks for 15 passages to be read")


def test_a_repeated_question_is_answered_from_the_cache(server: Server) -> None:
    question = "Who wrote the script of the drama When the Stars Gossip?"  # asked nowhere else
    first = requests.get(f"{server.url}/api/ask", params={"q": question}, timeout=60).json()
    respelled = "  who WROTE the script of the drama when the stars gossip?"
    again = requests.get(f"{server.url}/api/ask", params={"q": respelled}, timeout=60).json()
    assert first["cached"] is False and again["cached"] is True
    assert again["answer"] == first["answer"] and set(again["timings_ms"]) == {"total"}
    filtered = requests.get(
        f"{server.url}/api/ask", params={"q": question, "since": "2025-01-01"}, timeout=60
    ).json()
    assert filtered["cached"] is False  # other filters, another answer


@pytest.mark.parametrize(
    ("request_kwargs", "message"),
    [
        (
            {"params": {"question": "Who sings?"}},
            "missing 'q': GET /api/ask takes the question as ?q=...",
        ),
    ],
)
def test_get_with_the_wrong_parameter_says_which_one(
    server: Server, request_kwargs: dict, message: str
) -> None:
    response = requests.get(f"{server.url}/api/ask", timeout=30, **request_kwargs)
    assert response.status_code == 400 and response.json() == {"error": message}


def test_a_body_that_is_not_utf8_says_so(server: Server) -> None:
    response = requests.post(
        f"{server.url}/api/ask",
        data='{"question": "Who is Jos\xe9?"}'.encode("latin-1"),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 400 and response.json() == {"error": "request body is not UTF-8"}


def test_a_nul_in_a_question_separates_words(server: Server) -> None:
    body = requests.get(
        f"{server.url}/api/ask", params={"q": "Who\0wrote the script?"}, timeout=60
    ).json()
    assert body["question"] == "Who wrote the script?"


def _serve(*flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", "serve", *flags],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )


def test_a_port_out_of_range_is_a_usage_error() -> None:
    result = _serve("--port", "70000")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == "qa serve: error: port 70000 is out of range (0-65535)"


def test_a_port_in_use_is_found_before_the_models_load(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        result = _serve("--port", str(port), "--index", str(tmp_path / "never-built"))
    assert result.returncode == 2 and "serving" not in result.stdout
    assert result.stderr.strip() == (
        f"qa serve: error: cannot listen on 127.0.0.1:{port}: Address already in use"
    )
    assert not (tmp_path / "never-built").exists()  # nothing was loaded or built
