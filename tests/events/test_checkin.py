"""Check-in on the day: the phone list, the toggle (with and without htmx), the print view."""

import pytest
from django.utils import translation

from mitmachen.core.models import AuditEntry
from mitmachen.events import services
from mitmachen.events.models import Registration

pytestmark = pytest.mark.django_db
S = Registration.Status


@pytest.fixture
def login(login):
    def _login(persona):
        client = login(persona)
        client.cookies["django_language"] = "en"
        return client

    return _login


@pytest.fixture
def evening(make_event, register):
    """Three confirmed people, one on the waiting list."""
    event = make_event(capacity=3)
    for name, last in (("zora", "Zimmer"), ("Anton", "Bauer"), ("emil", "ahrens")):
        register(event, name, last_name=last)
    register(event, "Wim", last_name="Warte")
    return event


def url(event, suffix="checkin/"):
    return f"/staff/kassel/events/{event.pk}/{suffix}"


@pytest.mark.parametrize("persona,status", [
    ("kassel_board", 200), ("kassel_events", 200), ("kassel_treasurer", 403),
    ("kassel_groups", 403), ("duesseldorf_board", 404), ("duesseldorf_member", 404),
    (None, 302)])
def test_who_may_check_in(world, login, evening, persona, status):
    zora = evening.registrations.get(first_name="zora")
    client = login(persona)
    assert client.get(url(evening)).status_code == status
    assert client.get(url(evening, "checkin/print/")).status_code == status
    response = client.post(url(evening), {"registration": zora.pk, "present": "1"})
    assert response.status_code == (302 if status == 200 else status)
    zora.refresh_from_db()
    assert (zora.attended_at is not None) is (status == 200)


def test_list_is_alphabetical_confirmed_only_and_logged(world, login, evening):
    response = login("kassel_events").get(url(evening))
    names = [r.last_name for r in response.context["people"]]
    assert names == ["ahrens", "Bauer", "Zimmer"]
    html = response.content.decode()
    assert "Warte" not in html and "0 of 3 present" in html
    assert html.count('name="present" value="1"') == 3
    assert AuditEntry.objects.filter(action="view", object_id=str(evening.pk),
                                     object_repr__startswith="check-in list").exists()


def test_search_filters_by_name(world, login, evening):
    client = login("kassel_events")
    found = client.get(url(evening), {"q": "bau"})
    assert [r.first_name for r in found.context["people"]] == ["Anton"]
    partial = client.get(url(evening), {"q": "zim"}, HTTP_HX_REQUEST="true",
                         HTTP_HX_TARGET="checkin-list")
    html = partial.content.decode()
    assert "Zimmer" in html and "Bauer" not in html and "<html" not in html
    nobody = client.get(url(evening), {"q": "Warte"})
    assert "Nobody confirmed matches this name." in nobody.content.decode()


def test_toggle_without_javascript_is_idempotent(world, login, evening):
    client = login("kassel_events")
    anton = evening.registrations.get(first_name="Anton")
    response = client.post(url(evening), {"registration": anton.pk, "present": "1",
                                          "q": "bau"})
    assert response.status_code == 302
    assert response.url == f"{url(evening)}?q=bau#reg-{anton.pk}"
    anton.refresh_from_db()
    first_tick = anton.attended_at
    assert first_tick is not None
    audits = AuditEntry.objects.filter(object_type="events.registration",
                                       object_id=str(anton.pk), action="update").count()
    client.post(url(evening), {"registration": anton.pk, "present": "1"})  # a double tap
    anton.refresh_from_db()
    assert anton.attended_at == first_tick
    assert AuditEntry.objects.filter(object_type="events.registration", object_id=str(anton.pk),
                                     action="update").count() == audits
    assert "1 of 3 present" in client.get(url(evening)).content.decode()
    client.post(url(evening), {"registration": anton.pk, "present": "0"})
    anton.refresh_from_db()
    assert anton.attended_at is None


def test_toggle_with_htmx_answers_the_row_and_the_count(world, login, evening):
    client = login("kassel_events")
    emil = evening.registrations.get(first_name="emil")
    response = client.post(url(evening), {"registration": emil.pk, "present": "1"},
                           HTTP_HX_REQUEST="true", HTTP_HX_TARGET=f"reg-{emil.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith(f'<li id="reg-{emil.pk}"')
    assert 'name="present" value="0"' in html and "present" in html
    assert 'id="checkin-count"' in html and 'hx-swap-oob="true"' in html
    assert "1 of 3 present" in html
    emil.refresh_from_db()
    assert emil.attended_at is not None


def test_only_confirmed_registrations_of_this_event_can_be_ticked(world, login, evening,
                                                                  make_event, register):
    client = login("kassel_events")
    wim = evening.registrations.get(first_name="Wim")
    response = client.post(url(evening), {"registration": wim.pk, "present": "1"},
                           follow=True)
    with translation.override("en"):
        assert "Only confirmed registrations" in " ".join(
            str(m) for m in response.context["messages"])
    wim.refresh_from_db()
    assert wim.attended_at is None and wim.status == S.WAITING
    other = make_event()
    stranger = register(other, "Fremd")
    assert client.post(url(evening), {"registration": stranger.pk,
                                      "present": "1"}).status_code == 404
    theirs = register(make_event(organisation=world.duesseldorf), "Dora")
    assert client.post(url(evening), {"registration": theirs.pk,
                                      "present": "1"}).status_code == 404
    assert client.post(url(evening), {"registration": "x", "present": "1"}).status_code == 404
    stranger.refresh_from_db()
    theirs.refresh_from_db()
    assert stranger.attended_at is None and theirs.attended_at is None


def test_print_view(world, login, evening):
    services.question_add(event=evening, label="Kinderbetreuung?", kind="yes_no", actor=None)
    question = evening.questions.get()
    emil = evening.registrations.get(first_name="emil")
    emil.answers = {str(question.pk): True}
    emil.save()
    response = login("kassel_events").get(url(evening, "checkin/print/"))
    html = response.content.decode()
    assert html.index("ahrens, emil") < html.index("Bauer, Anton") < html.index("Zimmer, zora")
    assert "Warte" not in html
    assert '<th scope="col">Kinderbetreuung?</th>' in html
    assert 'onclick="window.print()"' in html and 'class="no-print"' in html
    assert "3 confirmed registrations" in html
    assert AuditEntry.objects.filter(action="view", object_id=str(evening.pk),
                                     object_repr__startswith="printed list").exists()
