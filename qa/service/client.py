"""Ask a running ``qa serve`` over HTTP: ``qa ask --server URL`` answers in a fraction of a
second, where a new process would spend seconds loading both models first."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from qa.errors import UserError
from qa.retrieval.filters import Filters


class ServerError(UserError):
    """The server could not be reached, or refused the request; the message says which."""


def ask_server(
    url: str, body: dict[str, Any], filters: Filters, timeout: float = 120.0
) -> dict[str, Any]:
    """``POST /api/ask`` with ``body`` (a question or a batch) and the filters; the JSON
    answer."""
    payload = {**body, **{k: v for k, v in vars(filters).items() if v is not None}}
    request = urllib.request.Request(
        url.rstrip("/") + "/api/ask",
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read())["error"]
        except (ValueError, KeyError, TypeError):
            message = exc.reason
        raise ServerError(f"{url} answered {exc.code}: {message}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ServerError(f"cannot reach {url}: {reason}") from None
