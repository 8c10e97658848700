"""Closed-loop load: N client threads, each asking again as soon as it has its answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


def crowd(ask: Callable[[int], bool], clients: int, seconds: float) -> tuple[float, list, int]:
    """(answers/s, latencies in ms of the good answers, failures) of ``clients`` threads calling
    ``ask(turn)`` for ``seconds``; client n takes turns n, n + clients, …"""
    latencies: list[float] = []
    failures, lock = [0], threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(turn: int) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            ok = ask(turn)
            with lock:
                if ok:
                    latencies.append((time.perf_counter() - started) * 1000)
                failures[0] += not ok
            turn += clients

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.perf_counter() - started), latencies, failures[0]
