import json
import logging
from datetime import UTC, datetime

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class StructuredFormatter(logging.Formatter):
    """One JSON object per line, with any `extra=` fields kept as keys."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class SecretPathFilter(logging.Filter):
    """Django's own request logger names the path of every 4xx/5xx; on a route whose path holds
    a secret (a personal link) it gets the route pattern instead, like the request log."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        path = getattr(request, "path", None)
        if path is None:
            return True
        from mitmachen.core.middleware import _loggable_path

        safe = _loggable_path(request)
        if safe != path:
            if isinstance(record.args, tuple):
                record.args = tuple(safe if arg == path else arg for arg in record.args)
            record.request = f"{request.method} {safe}"
        return True
