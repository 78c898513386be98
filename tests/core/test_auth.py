import re

import pytest
from django.conf import settings
from django.core import mail

from mitmachen.core.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_passwords_are_hashed_with_argon2(world):
    assert world.users["kassel_board"].password.startswith("argon2$")
    import mitmachen.settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_login_by_email_case_insensitive_then_logout(world, client):
    response = client.post("/accounts/login/",
                           {"username": "Kassel_Board@Example.org", "password": PASSWORD})
    assert response.status_code == 302 and response.url == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/dashboard/").status_code == 302


@pytest.mark.parametrize("username,password", [
    ("kassel_board@example.org", "wrong"),
    ("", ""),
    ("nobody@example.org", PASSWORD),
    ("kassel_board@example.org\x00", PASSWORD),
    ("x" * 300 + "@example.org", PASSWORD),
])
def test_bad_logins_are_refused_with_a_message(world, client, username, password):
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert b'role="alert"' in response.content


def test_inactive_account_cannot_log_in(world, client):
    User.objects.filter(email="kassel_board@example.org").update(is_active=False)
    client.post("/accounts/login/", {"username": "kassel_board@example.org",
                                     "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_password_reset_by_email(world, client, django_capture_on_commit_callbacks):
    from mitmachen.messaging.models import Message

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password-reset/", {"email": "kassel_board@example.org"})
    # Through the outbox, marked sensitive: the link logs someone in.
    assert Message.objects.get().sensitive
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    new = "ein ganz neues Passwort 42"
    response = client.post(form_page.redirect_chain[-1][0],
                           {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert User.objects.get(email="kassel_board@example.org").check_password(new)


def test_password_reset_for_unknown_address_sends_nothing_and_says_the_same(world, client):
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302 and response.url == "/accounts/password-reset/sent/"
    assert mail.outbox == []


def test_sessions_expire():
    assert settings.SESSION_COOKIE_AGE <= 12 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_SAVE_EVERY_REQUEST


def test_expired_session_logs_out(world, client):
    client.force_login(world.users["kassel_board"])
    session = client.session
    session.set_expiry(-1)
    session.save()
    assert client.get("/dashboard/").status_code == 302


def _fail(client, email, times, ip="10.0.0.1"):
    for _ in range(times):
        client.post("/accounts/login/", {"username": email, "password": "wrong"},
                    REMOTE_ADDR=ip)


def test_login_is_throttled_per_client_and_account(world, client):
    _fail(client, "kassel_board@example.org", 10)
    response = client.post("/accounts/login/", {"username": "kassel_board@example.org",
                                                 "password": PASSWORD}, REMOTE_ADDR="10.0.0.1")
    assert "_auth_user_id" not in client.session
    assert "15 Minuten" in response.content.decode()
    # Someone else's failures do not lock the board member out on their own machine.
    client.post("/accounts/login/", {"username": "kassel_board@example.org",
                                     "password": PASSWORD}, REMOTE_ADDR="10.0.0.2")
    assert "_auth_user_id" in client.session


def test_one_client_guessing_many_accounts_is_stopped(world, client):
    for n in range(5):
        _fail(client, f"guess{n}@example.org", 10)
    client.post("/accounts/login/", {"username": "kassel_admin@example.org",
                                     "password": PASSWORD}, REMOTE_ADDR="10.0.0.1")
    assert "_auth_user_id" not in client.session


def test_password_reset_lifts_the_lock_and_is_audited(world, client,
                                                      django_capture_on_commit_callbacks):
    from mitmachen.core.models import AuditEntry

    _fail(client, "kassel_board@example.org", 10, ip="127.0.0.1")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password-reset/", {"email": "kassel_board@example.org"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    new = "ein ganz neues Passwort 42"
    client.post(form_url, {"new_password1": new, "new_password2": new})
    assert AuditEntry.objects.filter(action="update", object_id=str(
        world.users["kassel_board"].pk), changes__has_key="password").exists()
    client.post("/accounts/login/", {"username": "kassel_board@example.org", "password": new})
    assert "_auth_user_id" in client.session


def test_a_login_lock_lasts_the_whole_window_in_the_database_cache(world, client):
    """The database cache's incr resets a key to its default timeout of five minutes; the
    throttle must keep the fifteen-minute window after every further failure."""
    from django.core.cache import cache
    from django.test import RequestFactory

    from mitmachen.core import throttle

    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="198.51.100.9")
    for _ in range(3):
        throttle.record_failure(request, "nobody@example.org")
    key = throttle._keys(request, "nobody@example.org")[1]
    if hasattr(cache, "_base_set"):  # the database cache: read the row's expiry
        from django.db import connection
        from django.utils import timezone

        with connection.cursor() as cursor:
            cursor.execute("SELECT expires FROM mitmachen_cache WHERE cache_key = %s",
                           [cache.make_and_validate_key(key)])
            expires = cursor.fetchone()[0]
        if isinstance(expires, str):  # SQLite hands back text
            from datetime import datetime

            expires = datetime.fromisoformat(expires)
        if timezone.is_naive(expires):
            from datetime import UTC

            expires = expires.replace(tzinfo=UTC)
        assert (expires - timezone.now()).total_seconds() > 10 * 60
    assert cache.get(key) == 3
