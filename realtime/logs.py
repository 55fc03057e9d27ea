"""Structured logs: one JSON object per line, one canonical line per operation.

Never log a token or a ballot's content. Fields bound by callers through ``extra=``: conn_id,
participant, role, command, outcome, code.
"""

from __future__ import annotations

import json
import logging
import time

from engine.errors import Code

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


def setup(level: str = "info") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.Formatter.converter = time.gmtime
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    error_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, ClientMistakeCodes) for f in error_log.filters):
        error_log.addFilter(ClientMistakeCodes())
