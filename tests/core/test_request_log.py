import logging
import re
import socket

import pytest

from mitmachen.events.registrations import personal_token


def test_secret_links_are_not_logged(world, client, make_event, register, caplog):
    token = personal_token(register(make_event(), "Ana"))
    with caplog.at_level(logging.INFO, logger="mitmachen.request"):
        client.get(f"/r/{token}/")
        client.get("/u/some-secret-token/")
        client.get("/events/")
    paths = [getattr(r, "path", "") for r in caplog.records]
    assert "/events/" in paths
    assert "/r/<str:token>/" in paths and "/u/<str:token>/" in paths
    assert not any(token in text for text in paths + [caplog.text])
    assert "some-secret-token" not in caplog.text


def test_django_error_log_names_the_route_not_the_secret(world, client, caplog):
    """Django logs the path of every 4xx itself; the console handler's filter hides secrets."""
    from django.conf import settings

    from mitmachen.core.logs import SecretPathFilter, StructuredFormatter

    secret = "12345-0123456789abcdef0123456789abcdef"
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(f"/a/{secret}/").status_code == 404
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records
    assert "secret_paths" in settings.LOGGING["handlers"]["console"]["filters"]
    # The console handler's filter has already rewritten the shared record; run it again to
    # show it is idempotent, then format the line as the console would.
    assert SecretPathFilter().filter(records[0])
    line = StructuredFormatter().format(records[0])
    assert secret not in line and "/a/<str:token>/" in line


# --- lines that only have text: runserver's request line and the like ----------------------

TOKEN = "12345-0123456789abcdef0123456789abcdef"


def runserver_record(request_line: str, status: str = "403") -> logging.LogRecord:
    """A record as runserver's WSGIRequestHandler.log_message makes it: the request line with
    the full path, and `request` being the socket, not an HttpRequest."""
    record = logging.LogRecord("django.server", logging.WARNING, __file__, 1, '"%s" %s %s',
                               (request_line, status, "2048"), None)
    record.request = socket.socket()
    record.request.close()
    record.server_time = "21/Nov/2026 10:00:00"
    record.status_code = int(status)
    return record


def formatted(record: logging.LogRecord) -> str:
    from mitmachen.core.logs import SecretPathFilter, StructuredFormatter

    assert SecretPathFilter().filter(record)
    return StructuredFormatter().format(record)


def test_runserver_line_of_a_personal_link_keeps_no_token():
    line = formatted(runserver_record(f"POST /a/{TOKEN}/speak/ HTTP/1.1"))
    assert TOKEN not in line
    assert '"POST /a/…/speak/ HTTP/1.1\\" 403 2048' in line


@pytest.mark.parametrize(("request_line", "shown"), [
    (f"GET /assembly/7/live.json?t={TOKEN}&v=3 HTTP/1.1", "/assembly/7/live.json?t=…&v=3"),
    (f"GET /assembly/7/live/events?v=3&t={TOKEN} HTTP/1.1", "/assembly/7/live/events?v=3&t=…"),
    (f"GET /assembly/7/projector/{TOKEN}/ HTTP/1.1", "/assembly/7/projector/…/"),
    (f"GET /checkin/{TOKEN}/ HTTP/1.1", "/checkin/…/"),
    (f"GET /r/{TOKEN}/ HTTP/1.1", "/r/…/"),
    (f"GET /u/{TOKEN} HTTP/1.1", "/u/…"),
    (f"GET /staff/kassel/assemblies/7/agenda/documents/3/?t={TOKEN} HTTP/1.1",
     "/staff/kassel/assemblies/7/agenda/documents/3/?t=…"),
    (f"GET /accounts/tokens/?token={TOKEN} HTTP/1.1", "/accounts/tokens/?token=…"),
    (f"GET http://127.0.0.1:8000/a/{TOKEN}/voting/ HTTP/1.1", "127.0.0.1:8000/a/…/voting/"),
    # Django escapes what it logs: a non-ASCII token arrives as \\u escapes.
    ("GET /a/\\u00b2-0123456789abcdef/ HTTP/1.1", "/a/…/"),
])
def test_runserver_lines_keep_no_secret(request_line, shown):
    line = formatted(runserver_record(request_line, "404"))
    assert shown in line
    assert TOKEN not in line and "0123456789abcdef" not in line


def test_scrubbing_leaves_other_paths_and_route_patterns_alone():
    from mitmachen.core.logs import scrub

    for text in ('"GET /staff/a/events/?page=2&v=3 HTTP/1.1"', "/assemblies/", "/a/<str:token>/",
                 "/assembly/<int:pk>/projector/<str:token>/", "Not Found: /events/",
                 "tea=green&at=noon"):
        assert scrub(text) == text
    once = scrub(f"/a/{TOKEN}/speak/?t={TOKEN}")
    assert once == "/a/…/speak/?t=…" and scrub(once) == once


def secret_routes():
    """(view name, route) of every URL whose path or query holds a secret, from the URLconf."""
    from django.urls import URLPattern, URLResolver, get_resolver

    from mitmachen.core.middleware import SECRET_ROUTES

    def walk(patterns, prefix, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}:{entry.namespace}" if entry.namespace and namespace \
                    else entry.namespace or namespace
                yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern) and entry.name:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                yield name, prefix + str(entry.pattern)

    found = dict(walk(get_resolver().url_patterns, "", ""))
    return {name: found[name] for name in SECRET_ROUTES if name in found}


def test_every_secret_route_is_scrubbed_from_a_request_line(world):
    """A route added to SECRET_ROUTES whose path the text patterns miss fails here."""
    from django.urls import reverse

    routes = secret_routes()
    assert "assemblies:participant" in routes and "events:personal" in routes
    for name, route in routes.items():
        kwargs = {}
        for converter, param in re.findall(r"<(?:(\w+):)?(\w+)>", route):
            if converter == "int":
                kwargs[param] = 7
            elif param == "uidb64":
                kwargs[param] = "MQ"  # the user's number in base64, no secret
            else:
                kwargs[param] = f"s3cret{param}X{len(kwargs)}"
        url = reverse(name, kwargs=kwargs)
        if not any(isinstance(value, str) for value in kwargs.values()):
            url += f"?t={TOKEN}"  # the secret of live.json and the event stream: the query
        line = formatted(runserver_record(f"GET {url} HTTP/1.1", "404"))
        assert "s3cret" not in line and TOKEN not in line, (name, url, line)


def test_runserver_lines_reach_the_filtered_console():
    """Through runserver's own code and the configured loggers: django.server's records must
    reach a handler that scrubs them (with no handler, logging's last resort prints them raw)."""
    import io

    from django.core.servers.basehttp import WSGIRequestHandler

    from mitmachen.core.logs import SecretPathFilter

    logger, handlers = logging.getLogger("django.server"), []
    while logger is not None:
        # pytest hangs its capturing handlers on loggers that do not propagate: not ours.
        handlers += [h for h in logger.handlers if not type(h).__module__.startswith("_pytest")]
        logger = logger.parent if logger.propagate else None
    assert handlers, "django.server has no handler: logging.lastResort would print raw lines"
    assert all(any(isinstance(f, SecretPathFilter) for f in h.filters) for h in handlers)

    handler = handlers[0]
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        runserver = WSGIRequestHandler.__new__(WSGIRequestHandler)
        runserver.request = socket.socket()
        runserver.request.close()
        runserver.log_message('"%s" %s %s', f"POST /a/{TOKEN}/speak/ HTTP/1.1", "403", "2048")
    finally:
        handler.setStream(old)
    assert "/a/…/speak/" in stream.getvalue()
    assert TOKEN not in stream.getvalue()


# --- Django's request logger: the query of `record.request` ----------------------------------

def test_django_request_record_keeps_no_query_secret(world, client, caplog):
    from mitmachen.core.logs import SecretPathFilter, StructuredFormatter

    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/no-such-page/", {"t": TOKEN, "token": TOKEN, "page": "2"}
                          ).status_code == 404
        assert client.get(f"/a/{TOKEN}/no-such-part/").status_code == 404
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 2
    lines = []
    for record in records:
        assert SecretPathFilter().filter(record)
        assert SecretPathFilter().filter(record)  # twice, as two handlers would
        lines.append(StructuredFormatter().format(record))
    assert all(TOKEN not in line for line in lines), lines
    assert '"request": "GET /no-such-page/?t=…&token=…&page=2"' in lines[0]
    assert "Not Found: /a/…/no-such-part/" in lines[1]
