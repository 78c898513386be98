import pytest
from django.test import RequestFactory
from django.utils import translation

from mitmachen.core.views import error_500

pytestmark = pytest.mark.django_db


def test_404_page_in_both_languages(client):
    german = client.get("/o/nirgendwo/")
    assert german.status_code == 404 and "Seite nicht gefunden" in german.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get("/o/nirgendwo/")
    assert "Page not found" in english.content.decode()


def test_403_page_in_both_languages(world, login):
    client = login("kassel_treasurer")
    german = client.get("/staff/kassel/profile/")
    assert german.status_code == 403 and "Nicht erlaubt" in german.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Not allowed" in client.get("/staff/kassel/profile/").content.decode()


@pytest.mark.parametrize("language,text", [("de", "Etwas ist schiefgelaufen"),
                                           ("en", "Something went wrong")])
def test_500_page_in_both_languages(language, text):
    with translation.override(language):
        response = error_500(RequestFactory().get("/"))
    assert response.status_code == 500 and text in response.content.decode()
