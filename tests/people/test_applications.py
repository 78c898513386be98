import re

import pytest
from django.core import mail

from mitmachen.people import selectors
from mitmachen.people.models import Contact, MembershipApplication

pytestmark = pytest.mark.django_db

FORM = {"first_name": "Clara", "last_name": "Neu", "email": "Clara@Example.org",
        "street": "Weg 2", "postcode": "34117", "city": "Kassel", "privacy": "on",
        "invitations": "on", "message": "Ich will mitmachen"}


def _apply(client, capture, **extra):
    with capture(execute=True):
        return client.post("/o/kassel/join/", {**FORM, **extra})


def _link(pattern):
    return re.search(r"http://testserver(" + pattern + r"\S+/)", mail.outbox[-1].body).group(1)


def test_application_with_double_opt_in_and_acceptance(world, client, login,
                                                       django_capture_on_commit_callbacks):
    response = _apply(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response.url == "/o/kassel/join/sent/"
    clara = Contact.objects.get(email="clara@example.org")
    assert clara.status == "interested"  # not an applicant before the address is confirmed
    link = _link("/join/confirm/")
    assert "Bestätige" in client.get(link).content.decode()  # GET changes nothing
    assert MembershipApplication.objects.get().status == "unconfirmed"
    client.post(link)
    clara.refresh_from_db()
    assert clara.status == "applicant"
    assert clara in selectors.reachable(world.kassel, "email", "invitations")
    board = login("kassel_board")
    assert "Clara Neu" in board.get("/staff/kassel/applications/").content.decode()
    application = MembershipApplication.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        board.post(f"/staff/kassel/applications/{application.pk}/decide/", {
            "decision": "accept", "membership_number": "KS-42", "answer": "Willkommen!"})
    clara.refresh_from_db()
    assert clara.status == "member" and clara.membership_number == "KS-42"
    assert clara.user is not None and clara.user.email == "clara@example.org"
    assert "Willkommen!" in mail.outbox[-1].body and "/accounts/reset/" in mail.outbox[-1].body


def test_declined_application_sends_the_answer(world, client, login,
                                               django_capture_on_commit_callbacks):
    _apply(client, django_capture_on_commit_callbacks)
    client.post(_link("/join/confirm/"))
    application = MembershipApplication.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        login("kassel_board").post(f"/staff/kassel/applications/{application.pk}/decide/",
                                   {"decision": "decline", "answer": "Leider nicht."})
    contact = Contact.objects.get()
    assert contact.status == "interested" and contact.user is None
    assert "Leider nicht." in mail.outbox[-1].body


def test_unconfirmed_applications_stay_invisible_to_the_board(world, client, login,
                                                              django_capture_on_commit_callbacks):
    _apply(client, django_capture_on_commit_callbacks)
    assert "Clara" not in login("kassel_board").get("/staff/kassel/applications/").content.decode()


@pytest.mark.parametrize("bad", [{"email": ""}, {"email": "kaputt"}, {"privacy": ""},
                                 {"first_name": "x" * 101}, {"last_name": "N\x00"},
                                 {"phone": "12"},
                                 {"message": "x" * 2001}])
def test_bad_applications_change_nothing(world, client, django_capture_on_commit_callbacks,
                                         bad):
    response = _apply(client, django_capture_on_commit_callbacks, **bad)
    assert response.status_code == 200 and b'role="alert"' in response.content
    assert not Contact.objects.exists() and not mail.outbox


def test_known_address_gets_the_same_answer_and_no_duplicate(world, client,
                                                             django_capture_on_commit_callbacks):
    _apply(client, django_capture_on_commit_callbacks)
    second = _apply(client, django_capture_on_commit_callbacks)
    assert second.url == "/o/kassel/join/sent/"
    assert Contact.objects.count() == 1 and MembershipApplication.objects.count() == 2


def test_invalid_confirmation_links(world, client):
    for token in ["nonsense", "x" * 150]:
        response = client.post(f"/join/confirm/{token}/")
        assert response.status_code == 400 and "nicht gültig" in response.content.decode()


def test_only_the_board_decides(world, login, client, django_capture_on_commit_callbacks):
    _apply(client, django_capture_on_commit_callbacks)
    client.post(_link("/join/confirm/"))
    application = MembershipApplication.objects.get()
    for persona, status in [("kassel_admin", 403), ("kassel_groups", 403),
                            ("duesseldorf_board", 404), (None, 302)]:
        response = login(persona).post(
            f"/staff/kassel/applications/{application.pk}/decide/", {"decision": "accept"})
        assert response.status_code == status
    assert MembershipApplication.objects.get().status == "pending"


def test_public_form_is_throttled(world, client, django_capture_on_commit_callbacks):
    for n in range(12):
        _apply(client, django_capture_on_commit_callbacks, email=f"p{n}@example.org")
    assert Contact.objects.count() == 10


def test_bots_filling_the_hidden_field_get_the_usual_answer_and_nothing_is_kept(
        world, client, django_capture_on_commit_callbacks):
    response = _apply(client, django_capture_on_commit_callbacks, website="http://spam.example")
    assert response.status_code == 302 and response.url == "/o/kassel/join/sent/"
    assert not Contact.objects.exists() and not mail.outbox
