import pytest

pytestmark = pytest.mark.django_db


def test_pages_are_german_whatever_the_browser_asks(world, client):
    html = client.get("/o/kassel/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="de"' in html and "Wer wir sind" in html


def test_the_switch_chooses_english_and_back(world, client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Who we are" in client.get("/o/kassel/").content.decode()
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    assert "Wer wir sind" in client.get("/o/kassel/").content.decode()


def test_an_unknown_language_falls_back_to_german(world, client):
    client.cookies["django_language"] = "xx"
    assert "Wer wir sind" in client.get("/o/kassel/").content.decode()


def test_the_accounts_language_applies_until_switched(world, login):
    user = world.users["kassel_board"]
    user.language = "en"
    user.save()
    client = login("kassel_board")
    assert "Dashboard" in client.get("/dashboard/").content.decode()
    assert 'lang="en"' in client.get("/dashboard/").content.decode()
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    assert 'lang="de"' in client.get("/dashboard/").content.decode()


def test_the_api_follows_accept_language(world, client):
    german = client.get("/api/v1/places/999999").json()["error"]["message"]
    english = client.get("/api/v1/places/999999", HTTP_ACCEPT_LANGUAGE="en").json()
    assert german == "Nicht gefunden." and english["error"]["message"] == "Not found."
