"""The HTTP server: waitress, with the guards a public service needs that waitress lacks.

Waitress answers requests on a thread pool and keeps slow or idle sockets on one async loop, so
slow clients cost no thread; but its idle timeout restarts on every byte, it has no cap per
client address, and its own errors are plain text. Here:

- a request's headers and body must arrive within ``request_deadline`` seconds in all, however
  they trickle in (a client sending a byte every 25 s is cut off, not kept forever);
- one address holds at most ``connections_per_address`` connections, so it cannot take the
  whole ``connection_limit`` from everyone else;
- a body over the limit is refused by its Content-Length, before a byte of it is stored;
- the server's own errors (413, 431, 400) are JSON like the app's.

Behind a reverse proxy every client shares the proxy's address: set the cap to match, or let
the proxy apply its own (README, "Deploying").
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask

from qa.errors import UserError

log = logging.getLogger("web.server")

MAINTENANCE_INTERVAL_S = 1  # how often deadlines are checked, in seconds
GUARD_LOG_INTERVAL_S = 60


class ServeError(UserError):
    """The server cannot start (a port in use, out of range, not allowed); the message says
    which."""


class _JsonErrorTask(ErrorTask):
    """Waitress's own refusals (a body too large, headers too large, a malformed request) in the
    app's JSON shape."""

    def execute(self) -> None:
        error = self.request.error
        if error.code == 413:
            message = f"request body is larger than {self.channel.adj.max_request_body_size} bytes"
        else:
            message = f"{error.reason.lower()}: {error.body}"
        body = json.dumps({"error": message}).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _GuardedChannel(HTTPChannel):
    error_task_class = _JsonErrorTask
    request_started: float | None = None  # when the first byte of the request in progress came

    def received(self, data: bytes) -> bool:
        if data and self.request is None:
            self.request_started = time.monotonic()
        handled = super().received(data)
        if self.request is None:  # nothing left half-received
            self.request_started = None
        return handled


class GuardedServer(TcpWSGIServer):
    channel_class = _GuardedChannel

    def __init__(
        self, *, request_deadline: float, connections_per_address: int, **adjustments: Any
    ) -> None:
        self.request_deadline = request_deadline
        self.connections_per_address = connections_per_address
        # Refusals and cut-offs are counted and logged once a minute: a line each would let a
        # client that reconnects in a loop fill the log.
        self._refused: Counter[str] = Counter()
        self._cut_off: Counter[str] = Counter()
        self._guards_logged = time.monotonic()
        # No application until start(): the socket is bound, but nothing is accepted before.
        super().__init__(None, _start=False, cleanup_interval=MAINTENANCE_INTERVAL_S, **adjustments)

    def start(self, application: Callable[..., Any]) -> None:
        """Take requests for ``application`` from now on; the port was held since __init__."""
        self.application = application
        self.accept_connections()

    def handle_accept(self) -> None:
        try:
            pair = self.accept()
        except OSError:
            return
        if pair is None:
            return
        connection, address = pair
        try:
            self.set_socket_options(connection)
        except OSError:
            connection.close()
            return
        address = self.fix_addr(address)
        same = sum(1 for c in self.active_channels.values() if c.addr[0] == address[0])
        if same >= self.connections_per_address:
            self._refused[address[0]] += 1
            connection.close()
            return
        self.channel_class(self, connection, address, self.adj, map=self._map)

    def maintenance(self, now: float) -> None:
        """Waitress's idle timeout, and the deadline of each request still arriving."""
        super().maintenance(now)
        if time.monotonic() - self._guards_logged >= GUARD_LOG_INTERVAL_S:
            for address, count in self._refused.most_common(5):
                log.warning(
                    "refused %d connections from %s: over connections_per_address", count, address
                )
            for address, count in self._cut_off.most_common(5):
                log.warning("cut off %d connections from %s: past request_deadline", count, address)
            self._refused.clear()
            self._cut_off.clear()
            self._guards_logged = time.monotonic()
        cutoff = time.monotonic() - self.request_deadline
        for channel in list(self.active_channels.values()):
            started = getattr(channel, "request_started", None)
            if started is not None and started < cutoff and not channel.will_close:
                self._cut_off[channel.addr[0]] += 1
                channel.will_close = True


def bind(host: str, port: int, **options: Any) -> GuardedServer:
    """The server, holding its port but not yet taking requests: a port in use is found before
    minutes of loading models, not after."""
    if not 0 <= port <= 65535:
        raise ServeError(f"port {port} is out of range (0-65535)")
    try:
        return GuardedServer(host=host, port=port, **options)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
