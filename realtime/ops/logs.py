"""Structured logs: one JSON object per line, one canonical line per operation.

Never log a token or a ballot's content. Fields bound by callers through ``extra=``: conn_id,
participant, role, command, outcome, code.

No query string ever reaches a log (:func:`redact_queries`, applied here to every line of every
logger): uvicorn writes each WebSocket handshake as ``"WebSocket /ws?<query>" [accepted]`` at level
info, whatever its access log setting, and a client may put anything there, its token included.
The hub reads nothing from a query string (tokens come in ``hello``), so nothing is lost.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from pathlib import Path
from typing import Any

from engine import private
from engine.errors import Code

# A URL or path followed by a query: everything from "?" to the next whitespace goes (a quote
# does not end it: a client may put quotes in its query to hide the rest).
_QUERY = re.compile(r"(?P<before>/[^\s?]*)\?\S*")
REDACTED = "?[redacted]"


def redact_queries(text: str) -> str:
    """``text`` with every query string of a path or URL replaced by ``?[redacted]``."""
    return _QUERY.sub(lambda m: m.group("before") + REDACTED, text) if "?" in text else text


def _clean(value: Any) -> Any:
    return redact_queries(value) if isinstance(value, str) else value


_STD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact_queries(record.getMessage()),
        }
        for k, v in record.__dict__.items():
            if k not in _STD and not k.startswith("_") and k != "color_message":
                out[k] = _clean(v)
        if record.exc_info:
            out["exc"] = redact_queries(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False, default=lambda v: redact_queries(str(v)))


# uvicorn's HTTP layer refuses malformed requests itself, with a warning that names no code; the
# hub's rule is one code per client mistake, so these get theirs. uvicorn is pinned to a minor
# version, and tests/integration/test_client_mistakes.py holds the messages to it.
UVICORN_CLIENT_MISTAKES: dict[str, Code] = {
    "Invalid HTTP request received.": Code.BAD_HTTP_REQUEST,
    "Unsupported upgrade request.": Code.BAD_HTTP_REQUEST,
}


class ClientMistakeCodes(logging.Filter):
    """Adds ``code`` and ``error`` to uvicorn's warnings about a client's malformed request."""

    def filter(self, record: logging.LogRecord) -> bool:
        code = UVICORN_CLIENT_MISTAKES.get(record.msg) if isinstance(record.msg, str) else None
        if code is not None:
            record.code = int(code)
            record.error = code.name.lower()
        return True


class _PlainFormatter(logging.Formatter):
    """One plain line for a terminal, with the same redaction as the JSON lines."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_queries(super().format(record))


def setup(level: str = "info", path: Path | None = None) -> None:
    """JSON lines on stderr; or, with ``path``, JSON lines appended to that file and only errors on
    stderr, in one plain line each. The demo uses a file so its banner of links stays readable."""
    handler: logging.Handler
    handlers: list[logging.Handler] = []
    if path is None:
        handler = logging.StreamHandler()
    else:
        private.private_dir(path.parent)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, private.FILE_MODE))  # 0600 at birth
        handler = logging.FileHandler(path, encoding="utf-8")
        terminal = logging.StreamHandler()
        terminal.setLevel(logging.ERROR)
        terminal.setFormatter(_PlainFormatter(f"%(levelname)s %(name)s: %(message)s (details: {path})"))
        handlers.append(terminal)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler, *handlers]
    root.setLevel(level.upper())
    logging.Formatter.converter = time.gmtime
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    error_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, ClientMistakeCodes) for f in error_log.filters):
        error_log.addFilter(ClientMistakeCodes())
