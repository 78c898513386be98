"""Each role × own or other organisation × each page: who may, and who may not.

The expectations are written out here, not derived from roles.py, so that a wrong entry in the
permission table makes this test fail.
"""

import pytest

from mitmachen.core.models import RoleAssignment
from mitmachen.organisations.models import Place

pytestmark = pytest.mark.django_db

KASSEL_ROLES = ["kassel_board", "kassel_admin", "kassel_groups", "kassel_events",
                "kassel_consultation", "kassel_treasurer"]

MENTORING_PAGES = [
    "/staff/{slug}/mentoring/", "/staff/{slug}/mentoring/new/",
    "/staff/{slug}/mentoring/log/",
    "/staff/{slug}/mentoring/{programme}/", "/staff/{slug}/mentoring/{programme}/edit/",
    "/staff/{slug}/mentoring/{programme}/applications/{application}/",
    "/staff/{slug}/mentoring/{programme}/rules/",
    "/staff/{slug}/mentoring/{programme}/matching/",
    "/staff/{slug}/mentoring/{programme}/matching/{run}/send/",
    "/staff/{slug}/mentoring/{programme}/pairs/",
    "/staff/{slug}/mentoring/{programme}/pairs/print/",
]

# page → personas (among the Kassel ones) who may open it in Kassel.
STAFF_PAGES = {
    "/staff/{slug}/profile/": {"kassel_board", "kassel_admin"},
    "/staff/{slug}/places/": {"kassel_board", "kassel_admin", "kassel_events"},
    "/staff/{slug}/places/new/": {"kassel_board", "kassel_admin", "kassel_events"},
    "/staff/{slug}/places/{place}/": {"kassel_board", "kassel_admin", "kassel_events"},
    "/staff/{slug}/team/": {"kassel_board", "kassel_admin"},
    "/staff/{slug}/audit/": {"kassel_admin"},
    "/staff/{slug}/contacts/": {"kassel_board", "kassel_admin", "kassel_groups",
                                "kassel_treasurer"},
    "/staff/{slug}/contacts/new/": {"kassel_board", "kassel_admin"},
    "/staff/{slug}/applications/": {"kassel_board"},
    "/staff/{slug}/groups/": {"kassel_board", "kassel_groups"},
    "/staff/{slug}/mailings/": {"kassel_board", "kassel_groups", "kassel_events"},
    "/staff/{slug}/mailings/new/": {"kassel_board", "kassel_groups", "kassel_events"},
    "/staff/{slug}/events/": {"kassel_board", "kassel_events"},
    "/staff/{slug}/events/new/": {"kassel_board", "kassel_events"},
    "/staff/{slug}/events/topics/": {"kassel_board", "kassel_events"},
    "/staff/{slug}/events/series/new/": {"kassel_board", "kassel_events"},
    "/staff/{slug}/events/series/{series}/": {"kassel_board", "kassel_events"},
    "/staff/{slug}/events/{event}/": {"kassel_board", "kassel_events"},
    "/staff/{slug}/events/{event}/edit/": {"kassel_board", "kassel_events"},
    "/staff/{slug}/events/{event}/register/": {"kassel_board", "kassel_events"},
    "/staff/{slug}/events/{event}/checkin/": {"kassel_board", "kassel_events"},
    "/staff/{slug}/events/{event}/checkin/print/": {"kassel_board", "kassel_events"},
    "/staff/{slug}/events/{event}/export.csv": {"kassel_board", "kassel_events"},
    "/staff/{slug}/events/{event}/export.xlsx": {"kassel_board", "kassel_events"},
    "/staff/{slug}/resolutions/": {"kassel_board", "kassel_admin", "kassel_groups",
                                   "kassel_events", "kassel_treasurer"},
    "/staff/{slug}/assemblies/{assembly}/attendance/": {"kassel_board", "kassel_events"},
    "/staff/{slug}/assemblies/{assembly}/attendance/count/": {"kassel_board", "kassel_events"},
    "/staff/{slug}/assemblies/{assembly}/attendance/print/": {"kassel_board", "kassel_events"},
    **{page: {"kassel_board"} for page in [
        "/staff/{slug}/assemblies/", "/staff/{slug}/assemblies/new/",
        "/staff/{slug}/assemblies/rules/", "/staff/{slug}/assemblies/{assembly}/",
        "/staff/{slug}/assemblies/{assembly}/edit/", "/staff/{slug}/assemblies/{assembly}/agenda/",
        "/staff/{slug}/assemblies/{assembly}/agenda/add/",
        "/staff/{slug}/assemblies/{assembly}/agenda/{item}/",
        "/staff/{slug}/assemblies/{assembly}/participants/",
        "/staff/{slug}/assemblies/{assembly}/invitation/",
        "/staff/{slug}/assemblies/{assembly}/invitation/proof/",
        "/staff/{slug}/assemblies/{assembly}/speakers/",
        "/staff/{slug}/assemblies/{assembly}/speakers/queue/",
        "/staff/{slug}/assemblies/{assembly}/motions/",
        "/staff/{slug}/assemblies/{assembly}/motions/book/",
        "/staff/{slug}/assemblies/{assembly}/motions/{motion}/",
        "/staff/{slug}/assemblies/{assembly}/motions/votes/{vote}/tally/",
        "/staff/{slug}/assemblies/{assembly}/elections/",
        "/staff/{slug}/assemblies/{assembly}/elections/{election}/",
        "/staff/{slug}/assemblies/{assembly}/elections/{election}/edit/",
        "/staff/{slug}/assemblies/{assembly}/elections/{election}/status/",
        "/staff/{slug}/assemblies/{assembly}/elections/{election}/print/",
        "/staff/{slug}/assemblies/{assembly}/minutes/",
    ]},
    # The reporting channel: anti-discrimination officers only, none of the Kassel roles.
    **{page: set() for page in [
        "/staff/{slug}/reports/", "/staff/{slug}/reports/setup/",
        "/staff/{slug}/reports/unlock/", "/staff/{slug}/reports/passphrase/",
        "/staff/{slug}/reports/access/", "/staff/{slug}/reports/settings/",
        "/staff/{slug}/reports/statistics/", "/staff/{slug}/reports/1/",
        "/staff/{slug}/reports/1/files/1/",
    ]},
    # Mentoring: the mentoring coordinator only, none of the Kassel roles.
    **{page: set() for page in MENTORING_PAGES},
}
ASSEMBLY_KEYS = ("assembly", "item", "motion", "vote", "election")
MENTORING_KEYS = ("programme", "application", "run")
PUBLIC_PAGES = ["/", "/o/kassel/", "/o/duesseldorf/", "/o/kreisgruppe/",
                "/municipalities/kassel/", "/accounts/login/", "/accounts/password-reset/",
                "/api/v1/docs"]


def _url(page, world, organisation):
    place = world.kassel_office if organisation == world.kassel else world.duesseldorf_office
    return page.format(slug=organisation.slug, place=place.pk,
                       **_event_ids(page, organisation), **_assembly_ids(page, organisation),
                       **_mentoring_ids(page, organisation))


def _mentoring_ids(page, organisation) -> dict:
    """A programme with a mentee, a mentor and a matching run, for the pages that need them."""
    if "{programme}" not in page:
        return {}
    from datetime import timedelta

    from django.utils import timezone

    from mitmachen.mentoring import services

    today = timezone.localdate()
    programme = services.programme_create(organisation=organisation, actor=None, data={
        "title": "Mentoring", "slug": "mentoring", "cohort_starts": today + timedelta(days=30),
        "cohort_ends": today + timedelta(days=300),
        "mentee_window_opens": today - timedelta(days=1),
        "mentee_window_closes": today + timedelta(days=20),
        "mentor_window_opens": today - timedelta(days=1),
        "mentor_window_closes": today + timedelta(days=20)})
    services.programme_set_status(programme=programme, status="open", actor=None)
    profile = {"fields": ["housing"], "languages": ["de"], "hours_per_month": 4}
    mentee, _token = services.application_submit(
        programme=programme, role="mentee", consent=True,
        data={"name": "Ada", "email": "ada@example.org", **profile})
    services.application_submit(programme=programme, role="mentor", consent=True,
                                data={"name": "Kea", "email": "kea@example.org", **profile})
    run = services.matching_run(programme=programme, actor=None)
    return {"programme": programme.pk, "application": mentee.pk, "run": run.pk}


def _assembly_ids(page, organisation) -> dict:
    """An assembly with an item, a motion, a vote and an election, for the pages that need
    them."""
    if "{assembly}" not in page:
        return {}
    from datetime import timedelta

    from django.utils import timezone

    from mitmachen.assemblies import elections, motions, services, votes
    from mitmachen.events import services as events

    event = events.event_create(organisation=organisation, title="KMV", kind="assembly",
                                starts_at=timezone.now() + timedelta(days=30), actor=None)
    assembly = services.assembly_create(event=event, actor=None)
    item = services.item_create(assembly=assembly, title="Anträge", actor=None)
    motion = motions.motion_submit(assembly=assembly, title="Antrag", text="Text",
                                   submitter=None, submitter_name="Vorstand", actor=None)
    motions.motion_admit(motion=motion, actor=None)
    vote = votes.vote_create(assembly=assembly, motion=motion, method="cards", actor=None)
    election = elections.election_create(
        assembly=assembly, title="Vorstand", kind="board", seats=2, reserved="odd",
        min_share=50, fallback="vacant", method="secret", actor=None)
    return {"assembly": assembly.pk, "item": item.pk, "motion": motion.pk, "vote": vote.pk,
            "election": election.pk}


def _event_ids(page, organisation) -> dict:
    """An event and a series of `organisation`, made only for the pages that need them."""
    if "{event}" not in page and "{series}" not in page:
        return {}
    from datetime import timedelta

    from django.utils import timezone

    from mitmachen.events import series, services

    start = timezone.now() + timedelta(days=7)
    event = services.event_create(organisation=organisation, title="Treffen", kind="meeting",
                                  starts_at=start, actor=None)
    plan = series.series_create(organisation=organisation, title="Plan", kind="meeting",
                                dtstart=start, dates=[(start, None)], actor=None)
    return {"event": event.pk, "series": plan.pk}


@pytest.mark.parametrize("persona", KASSEL_ROLES + ["hessen_board", "duesseldorf_member", None])
@pytest.mark.parametrize("page", sorted(STAFF_PAGES))
def test_staff_pages_in_own_organisation(world, login, persona, page):
    response = login(persona).get(_url(page, world, world.kassel))
    if persona is None:
        assert response.status_code == 302 and "/accounts/login/" in response.url
    elif persona in STAFF_PAGES[page] or (persona == "hessen_board" and
                                          "kassel_board" in STAFF_PAGES[page]):
        assert response.status_code == 200
    elif persona == "duesseldorf_member":
        assert response.status_code == 404
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("persona", KASSEL_ROLES + ["hessen_board"])
@pytest.mark.parametrize("page", sorted(STAFF_PAGES))
def test_staff_pages_of_another_organisation_answer_404(world, login, persona, page):
    response = login(persona).get(_url(page, world, world.duesseldorf))
    assert response.status_code == 404
    assert b"duesseldorf_board" not in response.content


@pytest.mark.parametrize("page", sorted(STAFF_PAGES))
def test_umbrella_board_cannot_open_member_organisation_pages(world, login, page):
    response = login("umbrella_board").get(page.format(
        slug=world.member_org.slug, place=0, event=0, series=0,
        **dict.fromkeys(ASSEMBLY_KEYS, 0), **dict.fromkeys(MENTORING_KEYS, 0)))
    assert response.status_code == 404


@pytest.mark.parametrize("persona,status", [
    ("duesseldorf_mentoring", 200), ("duesseldorf_board", 403), ("duesseldorf_admin", 403),
    ("duesseldorf_officer", 403), ("duesseldorf_member", 404),
])
@pytest.mark.parametrize("page", MENTORING_PAGES)
def test_mentoring_pages_are_the_coordinators_alone(world, login, persona, status, page):
    response = login(persona).get(_url(page, world, world.duesseldorf))
    assert response.status_code == status


@pytest.mark.parametrize("persona", [None, "kassel_board", "duesseldorf_member"])
@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_public_pages_open_to_everyone(world, login, persona, page):
    response = login(persona).get(page)
    if page == "/accounts/login/" and persona is not None:
        assert response.status_code == 302 and response.url == "/dashboard/"
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("persona,status", [(None, 302), ("duesseldorf_member", 200),
                                            ("kassel_treasurer", 200)])
@pytest.mark.parametrize("page", ["/dashboard/", "/accounts/tokens/"])
def test_account_pages_need_a_login(world, login, persona, status, page):
    assert login(persona).get(page).status_code == status


@pytest.mark.parametrize("persona,status", [
    ("kassel_admin", 302), ("kassel_events", 302), ("kassel_treasurer", 403),
    ("duesseldorf_board", 404), ("duesseldorf_member", 404), (None, 302),
])
def test_place_delete_post(world, login, persona, status):
    response = login(persona).post(f"/staff/kassel/places/{world.kassel_office.pk}/delete/")
    assert response.status_code == status
    deleted = not Place.objects.filter(pk=world.kassel_office.pk).exists()
    assert deleted is (persona in {"kassel_admin", "kassel_events"})


@pytest.mark.parametrize("persona,status", [
    ("kassel_admin", 302), ("kassel_board", 403), ("duesseldorf_admin", 404), (None, 302),
])
def test_role_revoke_post(world, login, persona, status):
    target = RoleAssignment.objects.get(user=world.users["kassel_treasurer"])
    response = login(persona).post(f"/staff/kassel/team/{target.pk}/revoke/")
    assert response.status_code == status
    assert RoleAssignment.objects.filter(pk=target.pk).exists() is (persona != "kassel_admin")


def test_get_on_post_only_endpoints_is_refused(world, login):
    client = login("kassel_admin")
    assert client.get(f"/staff/kassel/places/{world.kassel_office.pk}/delete/").status_code == 405
    assert Place.objects.filter(pk=world.kassel_office.pk).exists()


def test_navigation_shows_only_what_the_role_allows(world, login):
    board = login("kassel_board")
    board.get("/staff/kassel/profile/")
    html = board.get("/staff/kassel/team/").content.decode()
    assert "/staff/kassel/places/" in html and "/staff/kassel/audit/" not in html
    events = login("kassel_events")
    html = events.get("/staff/kassel/places/").content.decode()
    assert "/staff/kassel/team/" not in html and "/staff/kassel/profile/" not in html
