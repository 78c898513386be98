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
