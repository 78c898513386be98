import json
import logging
import re
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


HIDDEN = "…"

# Secrets in the text of a log line, for loggers that only have text: runserver's request line
# ("POST /a/<token>/speak/ HTTP/1.1"), a path Django could not resolve, a proxy's line. These
# are the paths of SECRET_ROUTES (core/middleware.py) that hold the secret in the path; the
# part after the prefix is hidden, the rest of the path stays (tests check every such route).
_SECRET_PATH = re.compile(
    # Where a path starts: the line's start, after a space, a quote or `=`, or after a host.
    r"""(?P<keep>(?:^|[\s"'(=,]|//[^/\s"'?#]+)"""
    r"/(?:a|checkin|r|u|calendar|join/confirm|consent/confirm|groups/confirm"
    r"|assembly/\d+/projector|accounts/reset/[^/\s\"'?#]+|mentoring/p)/)"
    # A route pattern ("/a/<str:token>/", what the filter itself writes) is no secret.
    r"""(?!<)[^/\s"'?#&]+""")
# Query values that are keys: the live view's `?t=` (viewer and projector tokens;
# formerly the personal link too) and any `token=`.
_SECRET_QUERY = re.compile(r"""(?P<keep>[?&;](?:t|token)=)[^&;#\s"']+""")


def scrub(text: str) -> str:
    """`text` with the secrets of URLs in it replaced by "…"."""
    if "/" not in text and "=" not in text:
        return text
    text = _SECRET_PATH.sub(lambda m: m["keep"] + HIDDEN, text)
    return _SECRET_QUERY.sub(lambda m: m["keep"] + HIDDEN, text)


def _scrub_args(args):
    if isinstance(args, tuple):
        return tuple(scrub(arg) if isinstance(arg, str) else arg for arg in args)
    if isinstance(args, dict):
        return {key: scrub(value) if isinstance(value, str) else value
                for key, value in args.items()}
    return args


class SecretPathFilter(logging.Filter):
    """Keeps personal links' secrets out of the log.

    Django's own request logger names the path of every 4xx/5xx; on a route whose path holds a
    secret it gets the route pattern instead, like the request log, and `record.request` (whose
    str() is the full path with its query) becomes a line without the secret. Lines that only
    have text, such as runserver's request line (where `record.request` is the socket), get
    the secret parts of their URLs replaced by "…". Running it twice changes nothing more."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        path = getattr(request, "path", None)
        if isinstance(path, str):
            self._request(record, request, path)
        elif isinstance(request, str):
            record.request = scrub(request)
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        record.args = _scrub_args(record.args)
        return True

    @staticmethod
    def _request(record: logging.LogRecord, request, path: str) -> None:
        from mitmachen.core.middleware import _loggable_path

        safe = _loggable_path(request)
        if safe == path:
            safe = scrub(path)  # not resolved (a 404), yet still a secret's path
        query = getattr(request, "META", {}).get("QUERY_STRING", "")
        safe_query = scrub("?" + query)[1:] if query else ""
        if safe == path and safe_query == query:
            return
        if isinstance(record.args, tuple):
            record.args = tuple(safe if arg == path else arg for arg in record.args)
        record.request = f"{request.method} {safe}" + (f"?{safe_query}" if query else "")
