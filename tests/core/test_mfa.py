"""The second factor: authenticator app set-up, codes, throttle, the two-step login, removal."""

import json

import pyotp
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from mitmachen.core import mfa
from mitmachen.core.models import AuditEntry, TotpDevice
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

T0 = 1_800_000_000  # a multiple of 30: the start of a time step


class Clock:
    def __init__(self):
        self.t = float(T0)

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock(monkeypatch):
    """mfa's clock, fixed; codes are computed with pyotp's at(clock.t)."""
    c = Clock()
    monkeypatch.setattr(mfa, "_now", lambda: c.t)
    return c


def code_at(secret: str, t: float, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(t + 30 * offset_steps)


def wrong_code(secret: str, t: float) -> str:
    """Six digits that are no code of `secret` anywhere in the window around `t`."""
    window = {code_at(secret, t, offset) for offset in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in window)


def enrol(user, clock) -> TotpDevice:
    device = mfa.totp_begin(user=user)
    mfa.totp_confirm(user=user, code=code_at(device.secret, clock.t))
    # The confirming code is spent; the next login is in a later step.
    clock.advance(30)
    device.refresh_from_db()
    return device


# --- services ----------------------------------------------------------------------------------

def test_enrolment_with_a_real_code(world, clock):
    user = world.users["duesseldorf_officer"]
    device = mfa.totp_begin(user=user)
    assert device.confirmed_at is None and not mfa.is_enrolled(user)
    assert len(device.secret) == 32 and pyotp.TOTP(device.secret).now()  # valid base32
    uri = mfa.provisioning_uri(device)
    assert uri.startswith("otpauth://totp/mitmachen:duesseldorf_officer%40example.org?")
    assert f"secret={device.secret}" in uri and "issuer=mitmachen" in uri
    # An unconfirmed device does not count and verifies nothing.
    assert not mfa.totp_verify(user=user, code=code_at(device.secret, clock.t))

    with translation.override("en"), pytest.raises(ValidationError) as wrong:
        mfa.totp_confirm(user=user, code=wrong_code(device.secret, clock.t))
    assert "code" in wrong.value.message_dict
    device.refresh_from_db()
    assert device.confirmed_at is None

    confirmed = mfa.totp_confirm(user=user, code=code_at(device.secret, clock.t))
    assert confirmed.confirmed_at is not None and mfa.is_enrolled(user)
    # The confirming code cannot be used again to log in.
    assert not mfa.totp_verify(user=user, code=code_at(device.secret, clock.t))
    clock.advance(30)
    assert mfa.totp_verify(user=user, code=code_at(device.secret, clock.t))


def test_begin_again_replaces_an_unconfirmed_secret(world, clock):
    user = world.users["kassel_board"]
    first = mfa.totp_begin(user=user).secret
    second = mfa.totp_begin(user=user).secret
    assert first != second and TotpDevice.objects.filter(user=user).count() == 1
    with pytest.raises(ValidationError):
        mfa.totp_confirm(user=user, code=code_at(first, clock.t + 300))
    mfa.totp_confirm(user=user, code=code_at(second, clock.t))
    assert mfa.is_enrolled(user)


def test_a_confirmed_device_keeps_working_until_its_replacement_is_confirmed(world, clock):
    user = world.users["kassel_board"]
    old = enrol(user, clock).secret
    device = mfa.totp_begin(user=user)
    assert device.secret == old and device.pending_secret and device.setup_secret != old
    assert mfa.is_enrolled(user)
    assert f"secret={device.pending_secret}" in mfa.provisioning_uri(device)
    assert mfa.totp_verify(user=user, code=code_at(old, clock.t))
    clock.advance(30)
    mfa.totp_confirm(user=user, code=code_at(device.pending_secret, clock.t))
    device.refresh_from_db()
    assert device.secret != old and device.pending_secret == ""
    clock.advance(30)
    assert not mfa.totp_verify(user=user, code=code_at(old, clock.t))
    assert mfa.totp_verify(user=user, code=code_at(device.secret, clock.t))


def test_confirm_without_a_set_up_is_refused(world, clock):
    user = world.users["kassel_board"]
    with pytest.raises(ValidationError) as missing:
        mfa.totp_confirm(user=user, code="123456")
    assert "code" in missing.value.message_dict
    device = enrol(user, clock)
    with pytest.raises(ValidationError):  # confirmed, nothing pending
        mfa.totp_confirm(user=user, code=code_at(device.secret, clock.t))


def test_codes_are_accepted_once_within_one_step_either_side(world, clock):
    user = world.users["kassel_board"]
    secret = enrol(user, clock).secret
    # One step late (phone clock behind) is fine, once.
    assert mfa.totp_verify(user=user, code=code_at(secret, clock.t, -1)) is False  # spent step
    clock.advance(60)
    assert mfa.totp_verify(user=user, code=code_at(secret, clock.t, -1))
    assert not mfa.totp_verify(user=user, code=code_at(secret, clock.t, -1))  # reuse
    # An earlier step than the last accepted one is refused even though it is in the window.
    assert mfa.totp_verify(user=user, code=code_at(secret, clock.t, +1))
    assert not mfa.totp_verify(user=user, code=code_at(secret, clock.t))
    clock.advance(120)
    assert not mfa.totp_verify(user=user, code=code_at(secret, clock.t, -2))  # too old
    assert mfa.totp_verify(user=user, code=code_at(secret, clock.t))


def test_a_code_with_spaces_is_accepted(world, clock):
    user = world.users["kassel_board"]
    code = code_at(enrol(user, clock).secret, clock.t)
    assert mfa.totp_verify(user=user, code=f" {code[:3]} {code[3:]} ")


@pytest.mark.parametrize("garbage", [
    "", "abcdef", "12345", "1234567", "12345\x00", "\x00" * 6, "1" * 100_000, None, 123456,
    "١٢٣٤٥٦",  # Arabic-Indic digits are digits to str.isdigit, not to us
    "12345６", "123456\n",
])
def test_garbage_codes_are_refused_without_an_exception(world, clock, garbage):
    user = world.users["kassel_board"]
    enrol(user, clock)
    assert mfa.totp_verify(user=user, code=garbage) is False
    with pytest.raises(ValidationError):
        mfa.totp_begin(user=user)
        mfa.totp_confirm(user=user, code=garbage)


def test_verify_without_a_user_or_device_is_false(world, clock):
    assert mfa.totp_verify(user=world.users["kassel_admin"], code="123456") is False
    assert mfa.totp_verify(user=None, code="123456") is False
    assert not mfa.is_enrolled(None)


def test_five_failures_block_even_a_right_code_for_15_minutes(world, clock):
    user = world.users["kassel_board"]
    other = world.users["kassel_admin"]
    secret = enrol(user, clock).secret
    other_secret = enrol(other, clock).secret
    wrong = wrong_code(secret, clock.t)
    for _ in range(4):
        assert not mfa.totp_verify(user=user, code=wrong)
    assert not mfa.is_throttled(user)
    assert not mfa.totp_verify(user=user, code="garbage")  # garbage counts as a failure
    assert mfa.is_throttled(user)
    assert not mfa.totp_verify(user=user, code=code_at(secret, clock.t))
    # Per user: someone else is not affected.
    assert mfa.totp_verify(user=other, code=code_at(other_secret, clock.t))
    clock.advance(14 * 60)
    assert not mfa.totp_verify(user=user, code=code_at(secret, clock.t))
    clock.advance(61)
    assert not mfa.is_throttled(user)
    assert mfa.totp_verify(user=user, code=code_at(secret, clock.t))


# --- the session -------------------------------------------------------------------------------

def test_session_verified_only_for_the_current_device(world, clock, rf):
    from django.contrib.sessions.backends.db import SessionStore

    user = world.users["kassel_board"]
    request = rf.get("/")
    request.user, request.session = user, SessionStore()
    assert not mfa.session_verified(request)
    device = enrol(user, clock)
    assert not mfa.session_verified(request)
    mfa.mark_verified(request)
    assert mfa.session_verified(request)
    clock.advance(600)
    assert not mfa.session_verified(request, max_age=300)
    assert mfa.session_verified(request, max_age=3600)
    # A new device makes the old verification worthless.
    mfa.totp_begin(user=user)
    clock.advance(30)
    mfa.totp_confirm(user=user, code=code_at(TotpDevice.objects.get(pk=device.pk).pending_secret,
                                             clock.t))
    assert not mfa.session_verified(request)
    mfa.mark_verified(request)
    mfa.totp_remove(user=user, actor=user)
    assert not mfa.session_verified(request)


def test_verified_required_sends_each_missing_step_to_its_page(world, clock, rf):
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore
    from django.http import HttpResponse

    view = mfa.verified_required(lambda request: HttpResponse("inside"))
    request = rf.get("/reports/inbox/")
    request.user, request.session = AnonymousUser(), SessionStore()
    assert view(request).url.startswith("/accounts/login/?next=")
    request.user = world.users["duesseldorf_officer"]
    assert view(request).url == "/accounts/two-factor/?next=%2Freports%2Finbox%2F"
    enrol(request.user, clock)
    assert view(request).url == "/accounts/login/code/?next=%2Freports%2Finbox%2F"
    mfa.mark_verified(request)
    assert view(request).content == b"inside"


# --- the two-step login ------------------------------------------------------------------------

def _password(client, persona, next_url=None):
    data = {"username": f"{persona}@example.org", "password": PASSWORD}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/accounts/login/", data)


def test_without_a_device_the_login_is_one_step(world, client):
    response = _password(client, "kassel_board")
    assert response.status_code == 302 and response.url == "/dashboard/"
    assert "_auth_user_id" in client.session


def test_with_a_device_the_password_alone_does_not_log_in(world, clock, client):
    user = world.users["kassel_board"]
    secret = enrol(user, clock).secret
    response = _password(client, "kassel_board")
    assert response.status_code == 302 and response.url == "/accounts/login/code/"
    assert "_auth_user_id" not in client.session
    assert client.get("/dashboard/").status_code == 302
    client.cookies["django_language"] = "en"
    page = client.get("/accounts/login/code/")
    assert page.status_code == 200
    assert b'autocomplete="one-time-code"' in page.content
    assert b'<label for="id_code">' in page.content

    wrong = wrong_code(secret, clock.t)
    response = client.post("/accounts/login/code/", {"code": wrong})
    assert response.status_code == 200 and b'role="alert"' in response.content
    assert b"This code is not right" in response.content
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="login_failed", object_id=str(user.pk)).exists()

    response = client.post("/accounts/login/code/", {"code": code_at(secret, clock.t)})
    assert response.status_code == 302 and response.url == "/dashboard/"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert mfa.SESSION_PENDING not in client.session
    assert client.session[mfa.SESSION_VERIFIED] == clock.t
    assert AuditEntry.objects.filter(action="login", object_id=str(user.pk)).exists()
    # The code page has nothing more to do.
    assert client.get("/accounts/login/code/").url == "/dashboard/"


@pytest.mark.parametrize("next_url,target", [
    ("/accounts/tokens/", "/accounts/tokens/"),
    ("https://evil.example/steal", "/dashboard/"),
    ("//evil.example/", "/dashboard/"),
])
def test_the_code_step_follows_next_safely(world, clock, client, next_url, target):
    secret = enrol(world.users["kassel_board"], clock).secret
    assert _password(client, "kassel_board", next_url).url == "/accounts/login/code/"
    response = client.post("/accounts/login/code/", {"code": code_at(secret, clock.t)})
    assert response.url == target


def test_a_pending_login_expires_after_five_minutes(world, clock, client):
    secret = enrol(world.users["kassel_board"], clock).secret
    _password(client, "kassel_board")
    clock.advance(5 * 60 + 1)
    client.cookies["django_language"] = "en"
    response = client.post("/accounts/login/code/", {"code": code_at(secret, clock.t)},
                           follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert b"run out" in response.content
    assert "_auth_user_id" not in client.session
    assert mfa.SESSION_PENDING not in client.session


def test_the_code_page_without_a_pending_login_goes_to_the_login(world, client):
    assert client.get("/accounts/login/code/").url == "/accounts/login/"
    assert client.post("/accounts/login/code/", {"code": "123456"}).url == "/accounts/login/"


def test_wrong_codes_at_login_are_throttled(world, clock, client):
    secret = enrol(world.users["kassel_board"], clock).secret
    _password(client, "kassel_board")
    wrong = wrong_code(secret, clock.t)
    for _ in range(5):
        client.post("/accounts/login/code/", {"code": wrong})
    client.cookies["django_language"] = "en"
    response = client.post("/accounts/login/code/", {"code": code_at(secret, clock.t)})
    assert response.status_code == 200 and "wait 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_step_up_for_a_session_logged_in_without_a_code(world, clock, login):
    user = world.users["kassel_board"]
    secret = enrol(user, clock).secret
    client = login("kassel_board")  # logged in without a code (e.g. before another device)
    page = client.get("/accounts/login/code/?next=/accounts/two-factor/")
    assert page.status_code == 200 and b'name="next" value="/accounts/two-factor/"' in page.content
    response = client.post("/accounts/login/code/?next=/accounts/two-factor/",
                           {"code": code_at(secret, clock.t), "next": "/accounts/two-factor/"})
    assert response.url == "/accounts/two-factor/"
    assert client.session[mfa.SESSION_VERIFIED] == clock.t


# --- the set-up page ---------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_the_login(world, client):
    response = client.get("/accounts/two-factor/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/accounts/two-factor/"
    assert client.post("/accounts/two-factor/", {"action": "begin"}).status_code == 302
    assert not TotpDevice.objects.exists()


def test_set_up_and_remove_through_the_page(world, clock, login):
    user = world.users["duesseldorf_officer"]
    client = login("duesseldorf_officer")
    client.cookies["django_language"] = "en"
    page = client.get("/accounts/two-factor/")
    assert page.status_code == 200
    assert b"required for the reporting channel" in page.content
    assert b"<svg" not in page.content

    assert client.post("/accounts/two-factor/", {"action": "begin"}).status_code == 302
    device = TotpDevice.objects.get(user=user)
    page = client.get("/accounts/two-factor/")
    html = page.content.decode()
    assert "<svg" in html and 'role="img"' in html and "cdn" not in html.lower()
    grouped = " ".join(device.secret[i:i + 4] for i in range(0, 32, 4))
    assert grouped in html
    assert page["Cache-Control"].startswith("max-age=0")  # the secret is not cached

    response = client.post("/accounts/two-factor/",
                           {"action": "confirm", "confirm-code": "12345x"})
    assert response.status_code == 200 and not mfa.is_enrolled(user)
    response = client.post("/accounts/two-factor/", {
        "action": "confirm", "confirm-code": code_at(device.secret, clock.t)})
    assert response.status_code == 302 and mfa.is_enrolled(user)
    assert client.session[mfa.SESSION_VERIFIED] == clock.t
    page = client.get("/accounts/two-factor/").content.decode()
    assert grouped not in page and "<svg" not in page  # the secret is shown during set-up only
    assert "required for the reporting channel" not in page

    clock.advance(30)
    wrong = wrong_code(device.secret, clock.t)
    response = client.post("/accounts/two-factor/", {"action": "remove", "remove-code": wrong})
    assert response.status_code == 200 and mfa.is_enrolled(user)
    response = client.post("/accounts/two-factor/", {
        "action": "remove", "remove-code": code_at(device.secret, clock.t)})
    assert response.status_code == 302 and not TotpDevice.objects.filter(user=user).exists()
    assert mfa.SESSION_VERIFIED not in client.session


def test_replacing_needs_a_code_from_the_current_app(world, clock, login):
    user = world.users["kassel_board"]
    secret = enrol(user, clock).secret
    client = login("kassel_board")  # not verified in this session
    response = client.post("/accounts/two-factor/", {"action": "begin"})
    assert response.url.startswith("/accounts/login/code/?next=")
    assert TotpDevice.objects.get(user=user).pending_secret == ""
    client.post(response.url, {"code": code_at(secret, clock.t)})
    client.post("/accounts/two-factor/", {"action": "begin"})
    assert TotpDevice.objects.get(user=user).pending_secret


# --- removal by an administrator ---------------------------------------------------------------

def test_an_administrator_removes_a_role_holders_device(world, clock, login):
    user = world.users["kassel_board"]
    enrol(user, clock)
    with pytest.raises(PermissionDenied):
        mfa.totp_remove(user=user, actor=world.users["duesseldorf_admin"])
    with pytest.raises(PermissionDenied):
        mfa.totp_remove(user=user, actor=world.users["kassel_treasurer"])
    with pytest.raises(PermissionDenied):
        mfa.totp_remove(user=user, actor=None)
    assert mfa.is_enrolled(user)

    # Another organisation's administrator gets 404 (or 403), and nothing changes.
    other = login("duesseldorf_admin")
    url = f"/staff/kassel/team/{user.pk}/two-factor/remove/"
    assert other.post(url).status_code in {403, 404}
    assert other.post(f"/staff/duesseldorf/team/{user.pk}/two-factor/remove/").status_code == 404
    assert login("kassel_board").post(url).status_code in {403, 404}
    assert mfa.is_enrolled(user)

    admin = login("kassel_admin")
    assert admin.get(url).status_code == 405
    response = admin.post(url)
    assert response.status_code == 302 and response.url == "/staff/kassel/team/"
    assert not TotpDevice.objects.filter(user=user).exists()
    entry = AuditEntry.objects.get(action="delete", object_type="core.totpdevice")
    assert entry.organisation == world.kassel and entry.actor == world.users["kassel_admin"]
    # Nothing left to remove: a message, no error page.
    assert admin.post(url).status_code == 302
    with pytest.raises(ValidationError):
        mfa.totp_remove(user=user, actor=world.users["kassel_admin"])


def test_the_user_may_remove_their_own_device(world, clock):
    user = world.users["duesseldorf_member"]
    enrol(user, clock)
    mfa.totp_remove(user=user, actor=user)
    assert not mfa.is_enrolled(user)


# --- audit -------------------------------------------------------------------------------------

def test_every_change_is_audited_without_the_secret(world, clock):
    user = world.users["duesseldorf_officer"]
    first = enrol(user, clock).secret
    second = mfa.totp_begin(user=user).pending_secret
    mfa.totp_confirm(user=user, code=code_at(second, clock.t))
    mfa.totp_remove(user=user, actor=world.users["duesseldorf_admin"])
    entries = AuditEntry.objects.filter(object_type="core.totpdevice").order_by("id")
    assert [e.action for e in entries] == ["create", "update", "update", "update", "delete"]
    for entry in AuditEntry.objects.all():
        text = json.dumps(entry.changes) + entry.object_repr + entry.actor_label
        for secret in (first, second):
            assert secret not in text and secret[:8] not in text


# --- dashboard ---------------------------------------------------------------------------------

def test_dashboard_links_the_page_and_reminds_officers(world, clock, login):
    client = login("duesseldorf_officer")
    client.cookies["django_language"] = "en"
    page = client.get("/dashboard/").content.decode()
    assert 'href="/accounts/two-factor/"' in page
    assert "required for the reporting channel" in page
    enrol(world.users["duesseldorf_officer"], clock)
    assert "required for the reporting channel" not in client.get("/dashboard/").content.decode()
    board = login("kassel_board")
    board.cookies["django_language"] = "en"
    page = board.get("/dashboard/").content.decode()
    assert 'href="/accounts/two-factor/"' in page
    assert "required for the reporting channel" not in page


def test_the_team_page_offers_administrators_to_remove_a_lost_app(world, clock, login):
    officer = world.users["duesseldorf_officer"]
    enrol(officer, clock)
    admin = login("duesseldorf_admin")
    page = admin.get("/staff/duesseldorf/team/").content.decode()
    action = f"/staff/duesseldorf/team/{officer.pk}/two-factor/remove/"
    assert action in page
    admin.post(action)
    assert not mfa.is_enrolled(officer)
    # The board sees the team but may not remove anybody's app.
    board_page = login("duesseldorf_board").get("/staff/duesseldorf/team/").content.decode()
    assert "two-factor/remove" not in board_page


def test_the_dashboard_links_each_role_to_its_own_work(world, login):
    coordinator = login("duesseldorf_mentoring").get("/dashboard/").content.decode()
    assert "/staff/duesseldorf/mentoring/" in coordinator
    assert "/staff/duesseldorf/reports/" not in coordinator
    officer = login("duesseldorf_officer").get("/dashboard/").content.decode()
    assert "/staff/duesseldorf/reports/" in officer
    assert "/staff/duesseldorf/mentoring/" not in officer
    board = login("duesseldorf_board").get("/dashboard/").content.decode()
    assert "/reports/" not in board and "/mentoring/" not in board
