from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from mitmachen.core import services
from mitmachen.core.models import ApiToken, AuditEntry

pytestmark = pytest.mark.django_db


def _create(capsys, email, organisation):
    call_command("token", "create", "--email", email, "--organisation", organisation)
    return capsys.readouterr().out.strip()


def test_cli_creates_a_token_stored_only_hashed(world, capsys, client):
    plaintext = _create(capsys, "kassel_board@example.org", "kassel")
    assert plaintext.startswith("mm_")
    token = ApiToken.objects.get()
    assert plaintext not in (token.digest, token.key_id)
    assert token.digest == ApiToken.digest_of(plaintext)
    assert AuditEntry.objects.filter(action="token_create").exists()
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert response.status_code == 200
    assert response.json()["email"] == "kassel_board@example.org"


def test_cli_refuses_an_organisation_without_a_role(world):
    with pytest.raises(CommandError, match="no role|keine Rolle"):
        call_command("token", "create", "--email", "kassel_board@example.org",
                     "--organisation", "duesseldorf")
    with pytest.raises(CommandError, match="No organisation"):
        call_command("token", "create", "--email", "kassel_board@example.org",
                     "--organisation", "nowhere")
    with pytest.raises(CommandError, match="No account"):
        call_command("token", "create", "--email", "ghost@example.org", "--organisation", "kassel")
    assert not ApiToken.objects.exists()


def test_revoked_and_expired_tokens_are_refused(world, capsys, client):
    plaintext = _create(capsys, "kassel_board@example.org", "kassel")
    token = ApiToken.objects.get()
    call_command("token", "revoke", token.key_id)
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code == 401
    _t, second = services.token_create(user=world.users["kassel_board"],
                                       organisation=world.kassel, name="short",
                                       expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 401


def test_token_list_shows_state(world, capsys):
    _create(capsys, "kassel_board@example.org", "kassel")
    call_command("token", "list", "--email", "kassel_board@example.org")
    assert "active" in capsys.readouterr().out


@pytest.mark.parametrize("header", ["Bearer ", "Bearer mm_x", "Bearer nonsense", "Basic abc",
                                    "Bearer " + "mm_" + "a" * 500])
def test_malformed_tokens_are_refused(world, client, header):
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_token_page_creates_shows_once_and_revokes(world, login):
    client = login("kassel_board")
    response = client.post("/accounts/tokens/", {"name": "Sync",
                                                 "organisation": world.kassel.pk})
    token = ApiToken.objects.get()
    assert f"mm_{token.key_id}_".encode() in response.content
    assert f"mm_{token.key_id}_".encode() not in client.get("/accounts/tokens/").content
    client.post(f"/accounts/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_token_page_refuses_foreign_organisation_and_foreign_tokens(world, login):
    client = login("kassel_board")
    response = client.post("/accounts/tokens/", {"name": "x",
                                                 "organisation": world.duesseldorf.pk})
    assert response.status_code == 200 and not ApiToken.objects.exists()
    _t, _p = services.token_create(user=world.users["duesseldorf_board"],
                                   organisation=world.duesseldorf, name="theirs")
    other = ApiToken.objects.get()
    assert client.post(f"/accounts/tokens/{other.pk}/revoke/").status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None


@pytest.mark.parametrize("days", ["0", "-3", "many"])
def test_token_days_must_be_positive(world, days):
    with pytest.raises(CommandError):
        call_command("token", "create", "--email", "kassel_board@example.org",
                     "--organisation", "kassel", "--days", days)
    assert not ApiToken.objects.exists()
