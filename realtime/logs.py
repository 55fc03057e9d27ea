"""Structured logs: one JSON object per line, one canonical line per operation.

Never log a token or a ballot's content. Fields bound by callers through ``extra=``: conn_id,
participant, role, command, outcome, code.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

_STD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for k, v in record.__dict__.items():
            if k not in _STD and not k.startswith("_") and k != "color_message":
                out[k] = v
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def setup(level: str = "info", path: Path | None = None) -> None:
    """JSON lines on stderr; or, with ``path``, JSON lines appended to that file and only errors on
    stderr, in one plain line each. The demo uses a file so its banner of links stays readable."""
    handler: logging.Handler
    handlers: list[logging.Handler] = []
    if path is None:
        handler = logging.StreamHandler()
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
        terminal = logging.StreamHandler()
        terminal.setLevel(logging.ERROR)
        terminal.setFormatter(logging.Formatter(f"%(levelname)s %(name)s: %(message)s (details: {path})"))
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
