"""Düsseldorf's mentoring programme for the browser's page checks, built through the services,
with someone in every state a page can show.

Ada and Kea are an active pair with meetings, a goal and private notes on both sides; Bea has a
proposal from Lou she has not answered yet; Uli (Turkish only) waits for a mentor; Cem applied
after the proposals went out. A forbidden pair with a reason, and a second, unsent matching
(Cem with Lou, Uli without a mentor and why) give the rules and matching pages something to
show.

`open_mentoring_page(page, base, world, name)` opens the page `name` (one of PUBLIC or STAFF) with
its content, signed in as the coordinator for the staff pages; it returns once the page has
loaded."""

from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from mitmachen.mentoring import access, services
from mitmachen.mentoring.models import Application, MatchRun, Pairing, Programme
from tests.browser.conftest import login_with_session
from tests.browser.events_world import de

COORDINATOR = "duesseldorf_mentoring"
SLUG = "duesseldorf"
PROGRAMME = "mentoring-2027"

PUBLIC = ["programme", "apply", "apply-mentor", "apply-sent-empty", "personal-applied",
          "personal-proposal", "personal-active", "personal-mentor", "personal-waiting",
          "personal-invalid"]
STAFF = ["programmes", "programme-new", "detail", "application", "application-mentor",
         "rules", "matching", "matching-send", "pairs", "print"]


@dataclass
class MentoringWorld:
    programme: Programme
    ada: Application
    kea: Application
    bea: Application
    lou: Application
    uli: Application
    cem: Application
    run: MatchRun


def _profile(name: str, **extra) -> dict:
    data = {
        "name": name, "email": f"{name.split()[0].lower()}@example.org",
        "phone": "0211 555010", "fields": ["housing", "equality"], "bodies": ["council"],
        "activities": ["speaking", "motions"], "times": ["weekday_evening"],
        "languages": ["de"], "hours_per_month": 4, "district": "Bilk", "gender": "woman",
    }
    return data | extra


def mentoring_world(world) -> MentoringWorld:
    cache.clear()  # the application form's rate limit counts in the cache
    coordinator = world.users[COORDINATOR]
    today = timezone.localdate()
    programme = services.programme_create(
        organisation=world.duesseldorf, actor=coordinator, data={
        "title": "Feministisches Mentoring 2027", "slug": PROGRAMME,
        "description": "Erfahrene Mentor*innen begleiten Frauen* ein Jahr lang in die "
                       "Kommunalpolitik.",
        "audience": Programme.Audience.WOMEN, "cohort_starts": today + timedelta(days=30),
        "cohort_ends": today + timedelta(days=360),
        "mentee_window_opens": today - timedelta(days=10),
        "mentee_window_closes": today + timedelta(days=20),
        "mentor_window_opens": today - timedelta(days=10),
        "mentor_window_closes": today + timedelta(days=20),
        "contact_email": "mentoring@duesseldorf.example.org", "max_mentees_per_mentor": 3})
    services.programme_set_status(programme=programme, status="open", actor=coordinator)

    def apply(role, name, **extra):
        data = _profile(name, **extra)
        if role == "mentee":
            data |= {"goals": "Eine Rede im Ausschuss halten.", "audience_confirmed": True}
        else:
            data |= {"experience": "Zehn Jahre im Rat.", "offers": ["step_free"]}
        application, _token = services.application_submit(
            programme=programme, role=role, data=data, consent=True)
        return application

    kea = apply("mentor", "Kea Mentorin", capacity=1,
                other_commitments="Fraktionssprecherin, Kassiererin im Ortsverband")
    lou = apply("mentor", "Lou Mentorin", capacity=2, languages=["de", "en"])
    ada = apply("mentee", "Ada Muster", requires=["mentor_woman"])
    bea = apply("mentee", "Bea Beispiel")
    uli = apply("mentee", "Uli Wartend", languages=["tr"])
    services.rule_set(programme=programme, mentee=ada, mentor=kea, kind="fix",
                      reason="Beide wohnen in Bilk", actor=coordinator)
    services.rule_set(programme=programme, mentee=bea, mentor=kea, kind="forbid",
                      reason="Kennen sich privat", actor=coordinator)
    first = services.matching_run(programme=programme, actor=coordinator)
    services.matching_send(run=first, actor=coordinator)
    pair = Pairing.objects.get(mentee=ada)
    services.proposal_answer(pairing=pair, side="mentee", accept=True)
    services.proposal_answer(pairing=pair, side="mentor", accept=True)
    # The pair began a month ago (moved back directly, as the demo data does): meetings
    # cannot be dated before the pair started.
    Pairing.objects.filter(pk=pair.pk).update(started_at=timezone.now() - timedelta(days=30))
    pair.refresh_from_db()
    yesterday = today - timedelta(days=1)
    services.meeting_log(pairing=pair, side="mentee", held_on=yesterday - timedelta(days=14),
                         kind="meeting", minutes=90,
                         summary="Kennengelernt, Ziele besprochen.")
    services.meeting_log(pairing=pair, side="mentor", held_on=yesterday, kind="accompanied",
                         minutes=180, summary="Gemeinsam im Ausschuss für Wohnen.")
    goal = services.goal_add(pairing=pair, side="mentee", title="Eine Rede im Ausschuss halten")
    services.goal_update(goal=goal, side="mentor", status="progress")
    services.goal_add(pairing=pair, side="mentor", title="Einen Antrag schreiben")
    services.note_add(pairing=pair, side="mentee", text="Nächstes Mal nach der Redezeit fragen.")
    services.note_add(pairing=pair, side="mentor", text="Ada braucht Zutrauen.")
    cem = apply("mentee", "Cem Neu")
    run = services.matching_run(programme=programme, actor=coordinator)
    for application in (ada, kea, bea, lou, uli, cem):
        application.refresh_from_db()
    assert (ada.status, bea.status, uli.status, cem.status) == (
        "matched", "proposed", "waiting", "applied")
    assert run.matched == 1 and run.unmatched == 1 and run.sent_at is None
    return MentoringWorld(programme, ada, kea, bea, lou, uli, cem, run)


def mentoring_pages(ready: MentoringWorld) -> dict[str, str]:
    p = ready.programme
    staff = f"/staff/{SLUG}/mentoring"
    public = f"/o/{SLUG}/mentoring/{PROGRAMME}"
    return {
        "programme": f"{public}/", "apply": f"{public}/apply/mentee/",
        "apply-mentor": f"{public}/apply/mentor/", "apply-sent-empty": f"{public}/apply/mentee/",
        "personal-applied": access.personal_url(ready.cem),
        "personal-proposal": access.personal_url(ready.bea),
        "personal-active": access.personal_url(ready.ada),
        "personal-mentor": access.personal_url(ready.kea),
        "personal-waiting": access.personal_url(ready.uli),
        "personal-invalid": "/mentoring/p/1-00000000000000000000000000000000/",
        "programmes": f"{staff}/", "programme-new": f"{staff}/new/",
        "detail": f"{staff}/{p.pk}/",
        "application": f"{staff}/{p.pk}/applications/{ready.ada.pk}/",
        "application-mentor": f"{staff}/{p.pk}/applications/{ready.lou.pk}/",
        "rules": f"{staff}/{p.pk}/rules/", "matching": f"{staff}/{p.pk}/matching/",
        "matching-send": f"{staff}/{p.pk}/matching/{ready.run.pk}/send/",
        "pairs": f"{staff}/{p.pk}/pairs/", "print": f"{staff}/{p.pk}/pairs/print/",
    }


def open_mentoring_page(page, base: str, world, name: str) -> None:
    ready = mentoring_world(world)
    path = mentoring_pages(ready)[name]
    if name in STAFF:
        login_with_session(page.context, base, world.users[COORDINATOR])
    response = page.goto(f"{base}{path}")
    expected = 404 if name == "personal-invalid" else 200
    assert response.status == expected, f"{path} ({name}) answered {response.status}"
    assert page.url == f"{base}{path}", f"{path} redirected to {page.url}"
    if name == "apply-sent-empty":
        page.get_by_role("button", name=de("Send my application")).click()
        expect(page.get_by_role("alert").first).to_be_visible()
    elif name == "personal-active":
        # The forms behind "Log a meeting" open, so that their fields are checked too.
        page.get_by_text(de("Log a meeting"), exact=True).click()
        expect(page.locator("form[action$='/meetings/'] textarea[name=summary]")).to_be_visible()
