import logging

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
