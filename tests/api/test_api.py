import json

import pytest
from django.utils import timezone
from openapi_spec_validator import validate

from mitmachen.core.models import AuditEntry
from mitmachen.organisations.models import Organisation, Place
from tests.reports.conftest import PASSPHRASE as REPORT_PASSPHRASE
from tests.reports.conftest import code_for as report_code

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def people_world(world):
    """Contacts, groups, requests and tokens in Kassel and Düsseldorf for the endpoint table."""
    from mitmachen.groups import services as groups
    from mitmachen.people import applications
    from mitmachen.people import services as people

    for prefix, organisation in [("", world.kassel), ("fremd_", world.duesseldorf)]:
        contact = people.contact_create(organisation=organisation, actor=None, data={
            "first_name": "Anna", "last_name": prefix or "Kassel",
            "email": f"{prefix}anna@example.org"}, status="member")
        group = groups.group_create(organisation=organisation, name=f"{prefix}Plenum",
                                    kind="plenum", audience="open", actor=None)
        applicant = people.contact_create(organisation=organisation, actor=None,
                                          data={"first_name": "Bert"})
        setattr(world, f"{prefix}contact", contact)
        setattr(world, f"{prefix}group", group)
        setattr(world, f"{prefix}join_request", groups.join_request_create(
            group=group, contact=applicant, actor=None))
        _pending, pending_token = applications.application_submit(
            organisation=organisation, message="", consents=[],
            data={"first_name": "P", "email": f"{prefix}pending@example.org"})
        setattr(world, f"{prefix}application", applications.application_confirm(
            token=pending_token))
        setattr(world, f"{prefix}proposal", groups.group_propose(
            contact=contact, name=f"{prefix}AG", description="x", kind="working_group",
            actor=None))
    member = world.users["duesseldorf_member"]
    world.own = people.contact_create(organisation=world.kassel, actor=None, data={
        "first_name": "Mira", "email": member.email}, status="member")
    world.own.user = member
    world.own.save()
    _r, world.opt_in_token = people.consent_request_create(
        contact=world.contact, channel="email", purpose="newsletter", text_version="v1",
        actor=None)
    _a, world.application_token = applications.application_submit(
        organisation=world.kassel, data={"first_name": "C", "email": "c@example.org"},
        message="", consents=[])
    return world


@pytest.fixture(autouse=True)
def events_world(people_world):
    """An online event with access data, a confirmed and a pending registration, and a series,
    in Kassel and Düsseldorf."""
    from datetime import timedelta

    from django.utils import timezone

    from mitmachen.events import registrations, series
    from mitmachen.events import services as events

    world = people_world
    start = timezone.now() + timedelta(days=7)
    for prefix, organisation in [("", world.kassel), ("fremd_", world.duesseldorf)]:
        event = events.event_create(
            organisation=organisation, title=f"{prefix}Netzwerktreffen", kind="network_meeting",
            starts_at=start, actor=None, is_online=True, registration="open", capacity=10,
            approval_required=True)
        events.access_set(event=event, actor=None, url="https://meet.example.org/x",
                          passcode="4711")
        setattr(world, f"{prefix}event", event)
        setattr(world, f"{prefix}registration", registrations.registration_create(
            event=event, first_name="Ana", email=f"{prefix}ana@example.org",
            privacy_accepted=True, source="phone"))
        setattr(world, f"{prefix}pending_registration", registrations.registration_create(
            event=event, first_name="Ben", email=f"{prefix}ben@example.org",
            privacy_accepted=True))
        setattr(world, f"{prefix}series", series.series_create(
            organisation=organisation, title=f"{prefix}Plenum", kind="plenum", dtstart=start,
            dates=[(start, None), (start + timedelta(days=60), None)], actor=None))
    world.own_registration = registrations.registration_create(
        event=world.event, first_name="Mira", email=world.own.email, user=world.own.user,
        privacy_accepted=True, source="phone")
    return world


# Paths of the assemblies API: only their rows need the assemblies below (four assemblies per
# test would slow every other row of the table down).
REPORTS = "/api/v1/reports/"
MENTORING = "/api/v1/mentoring/"
ASSEMBLY_PARTS = ("/assembl", "/agenda-items", "/participants/", "/speaker-requests", "/motions",
                  "/votes", "/elections", "/candidates", "/resolutions")


@pytest.fixture(autouse=True)
def assemblies_world(events_world, request):
    """Kassel: an assembly in session (current item with a speaker and two waiting requests,
    motions, a prepared, a counted and a phone vote, minutes), one invited (for invitations),
    one in session with elections in each state, and an event still to become an assembly.
    Düsseldorf: one in session with a participant, item, request, motion, vote and election."""
    world = events_world
    operation = getattr(getattr(request.node, "callspec", None), "params", {}).get("operation")
    if operation is None or not any(part in operation[1] for part in ASSEMBLY_PARTS):
        return world
    from datetime import timedelta

    from django.utils import timezone

    from mitmachen.assemblies import (
        attendance,
        elections,
        invitations,
        minutes,
        motions,
        speakers,
        votes,
    )
    from mitmachen.assemblies import services as assemblies
    from mitmachen.events import services as events

    start = timezone.now() + timedelta(days=30)

    def call(organisation, title, *, session=True, present=()):
        event = events.event_create(organisation=organisation, title=title, kind="assembly",
                                    starts_at=start, actor=None)
        assembly = assemblies.assembly_create(event=event, actor=None)
        item = assemblies.item_create(assembly=assembly, title="Aussprache", actor=None)
        assemblies.voters_build(assembly=assembly, actor=None)
        if session:
            assemblies.status_change(assembly=assembly, status="in_session", actor=None)
            assemblies.item_call(assembly=assembly, item=item, actor=None)
            for contact in present:
                attendance.check_in(participant=assembly.participants.get(contact=contact),
                                    actor=None)
        assembly.refresh_from_db()
        return assembly, item

    # Kassel, in session: Anna and Mira (the Düsseldorf member's own contact) are present.
    world.assembly, world.item = call(world.kassel, "Kreismitgliederversammlung",
                                      present=[world.contact, world.own])
    world.voter = world.assembly.participants.get(contact=world.contact)
    world.own_participant = world.assembly.participants.get(contact=world.own)
    world.item2 = assemblies.item_create(assembly=world.assembly, title="Verschiedenes",
                                         actor=None)
    speakers.list_close(item=world.item2, actor=None, reason="Zeit")
    world.guest = assemblies.guest_add(assembly=world.assembly, name="Gast", actor=None)
    speakers.speaker_request(item=world.item, participant=world.own_participant)
    speakers.speaker_next(item=world.item, actor=None)  # Mira speaks
    world.speaker_request = speakers.speaker_request(item=world.item, participant=world.voter)
    world.own_request = speakers.speaker_request(item=world.item,
                                                 participant=world.own_participant, kind="pro")
    world.motion = motions.motion_submit(assembly=world.assembly, title="Mieten",
                                         text="Deckeln.", submitter=world.contact, actor=None)
    world.own_motion = motions.motion_submit(assembly=world.assembly, title="Bus",
                                             text="Fahrscheinfrei.", submitter=world.own,
                                             actor=None)
    world.supported_motion = motions.motion_submit(assembly=world.assembly, title="Kita",
                                                   text="Frei.", submitter=world.contact,
                                                   actor=None)
    motions.motion_support(motion=world.supported_motion, contact=world.own, actor=None)
    world.vote = votes.vote_create(assembly=world.assembly, question="Pause?", method="cards",
                                   actor=None)
    world.counted_vote = votes.vote_open(vote=votes.vote_create(
        assembly=world.assembly, question="Tagesordnung?", method="cards", actor=None),
        actor=None)
    votes.vote_count_enter(vote=world.counted_vote, yes=2, no=0, abstain=0, actor=None)
    world.phone_vote = votes.vote_open(vote=votes.vote_create(
        assembly=world.assembly, question="Satzung?", method="secret", actor=None), actor=None)
    minutes.minutes_generate(assembly=world.assembly, actor=None)
    # Kassel, closed, with minutes to approve.
    world.closed_assembly, _item = call(world.kassel, "Frühjahrsversammlung")
    minutes.minutes_generate(assembly=world.closed_assembly, actor=None)
    assemblies.status_change(assembly=world.closed_assembly, status="closed", actor=None)
    # Kassel, invited.
    world.invited_assembly, _item = call(world.kassel, "Sommerversammlung", session=False)
    invitations.invitation_send(assembly=world.invited_assembly, actor=None)
    # Kassel, in session, with elections: nominating (paper), voting on paper, voting secret.
    world.election_assembly, _item = call(world.kassel, "Wahlversammlung",
                                          present=[world.contact, world.own])

    def election(title, method, name, category, open_=False, assembly=None):
        made = elections.election_create(
            assembly=assembly or world.election_assembly, title=title, kind="board", seats=2,
            reserved="none", min_share=0, fallback="vacant", method=method, actor=None)
        candidate = elections.candidate_add(election=made, name=name, category=category,
                                            actor=None)
        if open_:
            made = elections.election_open(election=made, actor=None)
        return made, candidate

    world.election, world.candidate = election("Vorstand", "paper", "Anna", "flinta")
    world.paper_election, world.paper_candidate = election("Kasse", "paper", "Bo", "open",
                                                           open_=True)
    world.secret_election, _c = election("Sprecher", "secret", "Cem", "open", open_=True)
    world.assembly_event = events.event_create(organisation=world.kassel, title="Herbst",
                                               kind="assembly", starts_at=start, actor=None)
    # Düsseldorf, in session.
    world.fremd_assembly, world.fremd_item = call(world.duesseldorf, "Kreisparteitag",
                                                  present=[world.fremd_contact])
    world.fremd_participant = world.fremd_assembly.participants.get(
        contact=world.fremd_contact)
    world.fremd_speaker_request = speakers.speaker_request(item=world.fremd_item,
                                                           participant=world.fremd_participant)
    world.fremd_motion = motions.motion_submit(assembly=world.fremd_assembly, title="Rhein",
                                               text="Baden.", submitter=None,
                                               submitter_name="AG", actor=None)
    world.fremd_vote = votes.vote_create(assembly=world.fremd_assembly, question="Pause?",
                                         method="cards", actor=None)
    world.fremd_election, world.fremd_candidate = election(
        "Liste", "paper", "Ida", "flinta", assembly=world.fremd_assembly)
    return world


@pytest.fixture(autouse=True)
def reports_world(assemblies_world, request):
    """Düsseldorf's reporting channel: its officer with two factors, a key pair and the key
    unlocked (the unlock token in world.unlock_headers, sent with every token of the report
    rows), and one report with a file."""
    world = assemblies_world
    operation = getattr(getattr(request.node, "callspec", None), "params", {}).get("operation")
    if operation is None or not operation[1].startswith(REPORTS):
        return world
    from mitmachen.reports import services as reports
    from mitmachen.reports.api import unlock_store
    from tests.reports.conftest import make_officer, pdf

    officer = world.users["duesseldorf_officer"]
    private_key = make_officer(officer)
    world.report, _receipt = reports.report_submit(
        organisation=world.duesseldorf, what="Vorfall beim Infostand", wish="advice",
        files=[pdf()])
    world.report_file = world.report.attachments.get()
    token, _until = unlock_store(user=officer, private_key=private_key)
    world.unlock_headers = {"HTTP_X_REPORTS_UNLOCK": token}
    return world


@pytest.fixture(autouse=True)
def mentoring_world(reports_world, request):
    """Düsseldorf's open mentoring programme "mentoring-2026": Ada–Bea and Fay–Gina in active
    pairs with a goal each, Cleo with an open proposal to Dora, Eva on the waiting list, a fix
    rule per pair, and the latest matching (not yet sent) pairing Eva with Hana, who applied
    later. Kassel has a programme of its own. The /mentoring/me rows send an applicant's
    personal token (world.mentoring_headers): Cleo's to answer, Eva's to change her profile,
    Ada's otherwise."""
    world = reports_world
    operation = getattr(getattr(request.node, "callspec", None), "params", {}).get("operation")
    if operation is None or not operation[1].startswith(MENTORING):
        return world
    from mitmachen.mentoring import access as mentoring_access
    from mitmachen.mentoring import services as mentoring
    from tests.mentoring.conftest import mentee_data, mentor_data, programme_data

    coordinator = world.users["duesseldorf_mentoring"]
    world.programme = mentoring.programme_create(
        organisation=world.duesseldorf, actor=coordinator,
        data=programme_data(slug="mentoring-2026"))
    mentoring.programme_set_status(programme=world.programme, status="open", actor=coordinator)
    world.kassel_programme = mentoring.programme_create(
        organisation=world.kassel, actor=None, data=programme_data(slug="mentoring"))

    def apply(role, name):
        data = (mentee_data if role == "mentee" else mentor_data)(name)
        application, _token = mentoring.application_submit(
            programme=world.programme, role=role, data=data, consent=True)
        return application

    people = {name: apply(role, name) for role, name in [
        ("mentee", "Ada"), ("mentor", "Bea"), ("mentee", "Cleo"), ("mentor", "Dora"),
        ("mentee", "Fay"), ("mentor", "Gina"), ("mentee", "Eva")]}
    rules = {mentee: mentoring.rule_set(programme=world.programme, mentee=people[mentee],
                                        mentor=people[mentor], kind="fix", reason="",
                                        actor=coordinator)
             for mentee, mentor in [("Ada", "Bea"), ("Cleo", "Dora"), ("Fay", "Gina")]}
    world.rule = rules["Ada"]
    run = mentoring.matching_run(programme=world.programme, actor=coordinator)
    proposals = {p.mentee.name: p for p in mentoring.matching_send(run=run, actor=coordinator)}
    goals = {}
    for name in ("Ada", "Fay"):
        for side in ("mentee", "mentor"):
            mentoring.proposal_answer(pairing=proposals[name], side=side, accept=True)
        goals[name] = mentoring.goal_add(pairing=proposals[name], side="mentee",
                                         title="Im Rat reden")
    world.goal, world.foreign_goal = goals["Ada"], goals["Fay"]
    world.active_pair, world.proposal = proposals["Fay"], proposals["Cleo"]
    if operation == ("post", "/api/v1/mentoring/me/feedback"):
        # Feedback comes once a pair has ended.
        mentoring.pairing_end(pairing=proposals["Ada"], side="mentee")
    world.eva = people["Eva"]
    world.hana = apply("mentor", "Hana")
    world.run = mentoring.matching_run(programme=world.programme, actor=coordinator)
    holder = {"/api/v1/mentoring/me/answer": "Cleo"}.get(operation[1], "Ada")
    if operation == ("patch", "/api/v1/mentoring/me"):
        holder = "Eva"
    world.mentoring_headers = {
        "HTTP_X_MENTORING_TOKEN": mentoring_access.personal_token(people[holder])}
    return world


def _checkin_code(participant):
    from mitmachen.assemblies.access import checkin_code

    return checkin_code(participant)


def _json(client, method, url, headers, body=None):
    kwargs = dict(headers)
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(url, **kwargs)


# Every operation of the schema: (url builder, body, public?, persona allowed in Kassel,
# persona whose role lacks the permission in Kassel).
OPERATIONS = {
    ("get", "/api/v1/me"): (lambda w: "/api/v1/me", None, False, "kassel_treasurer", None),
    ("get", "/api/v1/organisations"): (lambda w: "/api/v1/organisations", None, True, None, None),
    ("get", "/api/v1/organisations/{organisation_id}"):
        (lambda w: f"/api/v1/organisations/{w.kassel.pk}", None, True, None, None),
    ("patch", "/api/v1/organisations/{organisation_id}"):
        (lambda w: f"/api/v1/organisations/{w.kassel.pk}", {"tagline": "Neu"}, False,
         "kassel_board", "kassel_treasurer"),
    ("get", "/api/v1/organisations/{organisation_id}/roles"):
        (lambda w: f"/api/v1/organisations/{w.kassel.pk}/roles", None, False, "kassel_board",
         "kassel_events"),
    ("get", "/api/v1/organisations/{organisation_id}/audit"):
        (lambda w: f"/api/v1/organisations/{w.kassel.pk}/audit", None, False, "kassel_admin",
         "kassel_board"),
    ("get", "/api/v1/districts"): (lambda w: "/api/v1/districts", None, True, None, None),
    ("get", "/api/v1/municipalities"):
        (lambda w: "/api/v1/municipalities", None, True, None, None),
    ("get", "/api/v1/cooperations"): (lambda w: "/api/v1/cooperations", None, True, None, None),
    ("get", "/api/v1/cooperations/{cooperation_id}"):
        (lambda w: f"/api/v1/cooperations/{w.cooperation.pk}", None, True, None, None),
    ("get", "/api/v1/districts/{district_id}"):
        (lambda w: f"/api/v1/districts/{w.kassel_office.district_id}", None, True, None, None),
    ("get", "/api/v1/places"): (lambda w: "/api/v1/places", None, True, None, None),
    ("get", "/api/v1/places/{place_id}"):
        (lambda w: f"/api/v1/places/{w.kassel_office.pk}", None, True, None, None),
    ("post", "/api/v1/organisations/{organisation_id}/places"):
        (lambda w: f"/api/v1/organisations/{w.kassel.pk}/places", {"name": "Neu"}, False,
         "kassel_events", "kassel_treasurer"),
    ("patch", "/api/v1/places/{place_id}"):
        (lambda w: f"/api/v1/places/{w.kassel_office.pk}", {"name": "Büro"}, False,
         "kassel_board", "kassel_groups"),
    ("delete", "/api/v1/places/{place_id}"):
        (lambda w: f"/api/v1/places/{w.kassel_office.pk}", None, False, "kassel_admin",
         "kassel_consultation"),
    # people
    ("get", "/api/v1/organisations/{organisation_id}/contacts"):
        (lambda w: f"/api/v1/organisations/{w.kassel.pk}/contacts", None, False,
         "kassel_groups", "kassel_events"),
    ("post", "/api/v1/organisations/{organisation_id}/contacts"):
        (lambda w: f"/api/v1/organisations/{w.kassel.pk}/contacts", {"first_name": "Neu"},
         False, "kassel_board", "kassel_treasurer"),
    ("get", "/api/v1/contacts/{contact_id}"):
        (lambda w: f"/api/v1/contacts/{w.contact.pk}", None, False, "kassel_treasurer",
         "kassel_events"),
    ("patch", "/api/v1/contacts/{contact_id}"):
        (lambda w: f"/api/v1/contacts/{w.contact.pk}", {"pronouns": "sie"}, False,
         "kassel_admin", "kassel_groups"),
    ("post", "/api/v1/contacts/{contact_id}/status"):
        (lambda w: f"/api/v1/contacts/{w.contact.pk}/status",
         {"status": "former", "reason": "Umzug"}, False, "kassel_board", "kassel_groups"),
    ("get", "/api/v1/contacts/{contact_id}/consents"):
        (lambda w: f"/api/v1/contacts/{w.contact.pk}/consents", None, False, "kassel_groups",
         "kassel_consultation"),
    ("post", "/api/v1/contacts/{contact_id}/consents"):
        (lambda w: f"/api/v1/contacts/{w.contact.pk}/consents",
         {"channel": "post", "purpose": "invitations", "granted": False, "text_version": "v"},
         False, "kassel_board", "kassel_treasurer"),
    ("post", "/api/v1/contacts/{contact_id}/consent-requests"):
        (lambda w: f"/api/v1/contacts/{w.contact.pk}/consent-requests",
         {"purpose": "invitations", "text_version": "v"}, False, "kassel_board",
         "kassel_groups"),
    ("post", "/api/v1/consent-confirmations"):
        (lambda w: "/api/v1/consent-confirmations", lambda w: {"token": w.opt_in_token}, True,
         None, None),
    ("post", "/api/v1/organisations/{organisation_id}/applications"):
        (lambda w: f"/api/v1/organisations/{w.kassel.pk}/applications",
         {"first_name": "D", "last_name": "E", "email": "d@example.org", "street": "W 1",
          "postcode": "34117", "city": "Kassel", "privacy_accepted": True}, True, None, None),
    ("post", "/api/v1/application-confirmations"):
        (lambda w: "/api/v1/application-confirmations",
         lambda w: {"token": w.application_token}, True, None, None),
    ("get", "/api/v1/organisations/{organisation_id}/applications"):
        (lambda w: f"/api/v1/organisations/{w.kassel.pk}/applications", None, False,
         "kassel_board", "kassel_admin"),
    ("post", "/api/v1/applications/{application_id}/decision"):
        (lambda w: f"/api/v1/applications/{w.application.pk}/decision",
         {"accept": True, "membership_number": "X-1"}, False, "kassel_board", "kassel_groups"),
    ("get", "/api/v1/me/contacts"): (lambda w: "/api/v1/me/contacts", None, False,
                                     "duesseldorf_member", None),
    ("post", "/api/v1/me/contacts/{contact_id}/consents"):
        (lambda w: f"/api/v1/me/contacts/{w.own.pk}/consents",
         {"channel": "signal", "purpose": "distribution_list", "granted": True}, False,
         "duesseldorf_member", None),
    # groups
    ("get", "/api/v1/organisations/{organisation_id}/groups"):
        (lambda w: f"/api/v1/organisations/{w.kassel.pk}/groups", None, True, None, None),
    ("get", "/api/v1/groups/{group_id}"):
        (lambda w: f"/api/v1/groups/{w.group.pk}", None, True, None, None),
    ("post", "/api/v1/groups/{group_id}/status"):
        (lambda w: f"/api/v1/groups/{w.group.pk}/status", {"status": "dormant"}, False,
         "kassel_groups", "kassel_treasurer"),
    ("post", "/api/v1/groups/{group_id}/join-requests"):
        (lambda w: f"/api/v1/groups/{w.group.pk}/join-requests", {"message": "Hallo"}, False,
         "duesseldorf_member", None),
    ("get", "/api/v1/organisations/{organisation_id}/join-requests"):
        (lambda w: f"/api/v1/organisations/{w.kassel.pk}/join-requests", None, False,
         "kassel_groups", "kassel_treasurer"),
    ("post", "/api/v1/join-requests/{request_id}/decision"):
        (lambda w: f"/api/v1/join-requests/{w.join_request.pk}/decision", {"accept": True},
         False, "kassel_groups", "kassel_admin"),
    ("post", "/api/v1/organisations/{organisation_id}/group-proposals"):
        (lambda w: f"/api/v1/organisations/{w.kassel.pk}/group-proposals",
         {"name": "AG Klima", "description": "Klima"}, False, "duesseldorf_member", None),
    ("post", "/api/v1/group-proposals/{proposal_id}/decision"):
        (lambda w: f"/api/v1/group-proposals/{w.proposal.pk}/decision", {"accept": True},
         False, "kassel_board", "kassel_groups"),
    # events
    ("get", "/api/v1/events"): (lambda w: "/api/v1/events", None, True, None, None),
    ("get", "/api/v1/events/{event_id}"):
        (lambda w: f"/api/v1/events/{w.event.pk}", None, True, None, None),
    ("get", "/api/v1/events/{event_id}/access"):
        (lambda w: f"/api/v1/events/{w.event.pk}/access", None, False, "kassel_events", None),
    ("post", "/api/v1/events"):
        (lambda w: "/api/v1/events", {"organisation": "kassel", "title": "Plenum",
                                      "kind": "plenum", "starts_at": "2099-05-04T19:00"},
         False, "kassel_events", "kassel_treasurer"),
    ("patch", "/api/v1/events/{event_id}"):
        (lambda w: f"/api/v1/events/{w.event.pk}", {"title": "Neu"}, False, "kassel_board",
         "kassel_groups"),
    ("post", "/api/v1/events/{event_id}/status"):
        (lambda w: f"/api/v1/events/{w.event.pk}/status",
         {"status": "cancelled", "reason": "Krank"}, False, "kassel_events", "kassel_admin"),
    ("get", "/api/v1/series/{series_id}"):
        (lambda w: f"/api/v1/series/{w.series.pk}", None, True, None, None),
    ("get", "/api/v1/series/{series_id}/occurrences"):
        (lambda w: f"/api/v1/series/{w.series.pk}/occurrences", None, True, None, None),
    ("post", "/api/v1/series"):
        (lambda w: "/api/v1/series", {"organisation": "kassel", "title": "Plenum",
                                      "kind": "plenum", "dtstart": "2099-01-07T19:00",
                                      "rrule": "FREQ=MONTHLY;INTERVAL=2"},
         False, "kassel_events", "kassel_groups"),
    ("get", "/api/v1/events/{event_id}/registrations"):
        (lambda w: f"/api/v1/events/{w.event.pk}/registrations", None, False, "kassel_events",
         "kassel_treasurer"),
    ("post", "/api/v1/events/{event_id}/registrations"):
        (lambda w: f"/api/v1/events/{w.event.pk}/registrations",
         {"first_name": "Lea", "email": "lea@example.org", "privacy_accepted": True}, True,
         None, None),
    ("post", "/api/v1/registrations/{registration_id}/cancel"):
        (lambda w: f"/api/v1/registrations/{w.registration.pk}/cancel", None, False,
         "kassel_events", "kassel_treasurer"),
    ("post", "/api/v1/registrations/{registration_id}/decide"):
        (lambda w: f"/api/v1/registrations/{w.pending_registration.pk}/decide",
         {"approve": True}, False, "kassel_board", "kassel_consultation"),
    ("post", "/api/v1/registrations/{registration_id}/checkin"):
        (lambda w: f"/api/v1/registrations/{w.registration.pk}/checkin", {"present": True},
         False, "kassel_events", "kassel_admin"),
    ("get", "/api/v1/me/registrations"): (lambda w: "/api/v1/me/registrations", None, False,
                                          "duesseldorf_member", None),
    # assemblies
    ("get", "/api/v1/organisations/{organisation_id}/assembly-rules"):
        (lambda w: f"/api/v1/organisations/{w.kassel.pk}/assembly-rules", None, False,
         "kassel_board", "kassel_events"),
    ("put", "/api/v1/organisations/{organisation_id}/assembly-rules"):
        (lambda w: f"/api/v1/organisations/{w.kassel.pk}/assembly-rules",
         {"lead_days": 21, "reminder_days": 3, "quorum_kind": "share", "quorum_value": 10,
          "alternate": True, "first_time_first": True, "speaking_seconds": 180}, False,
         "kassel_board", "kassel_admin"),
    ("get", "/api/v1/organisations/{organisation_id}/assemblies"):
        (lambda w: f"/api/v1/organisations/{w.kassel.pk}/assemblies", None, False,
         "kassel_board", "kassel_treasurer"),
    ("post", "/api/v1/organisations/{organisation_id}/assemblies"):
        (lambda w: f"/api/v1/organisations/{w.kassel.pk}/assemblies",
         lambda w: {"event_id": w.assembly_event.pk}, False, "kassel_board", "kassel_events"),
    ("get", "/api/v1/assemblies/{assembly_id}"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}", None, False, "kassel_board",
         "kassel_events"),
    ("patch", "/api/v1/assemblies/{assembly_id}"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}", {"invitation_text": "Kommt!"},
         False, "kassel_board", "kassel_admin"),
    ("post", "/api/v1/assemblies/{assembly_id}/status"):
        (lambda w: f"/api/v1/assemblies/{w.invited_assembly.pk}/status",
         {"status": "in_session"}, False, "kassel_board", "kassel_groups"),
    ("get", "/api/v1/assemblies/{assembly_id}/live"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}/live", None, False, "kassel_events",
         "kassel_treasurer"),
    ("get", "/api/v1/organisations/{organisation_id}/resolutions"):
        (lambda w: f"/api/v1/organisations/{w.kassel.pk}/resolutions", None, False,
         "kassel_treasurer", "kassel_consultation"),
    ("get", "/api/v1/assemblies/{assembly_id}/items"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}/items", None, False, "kassel_board",
         "kassel_events"),
    ("post", "/api/v1/assemblies/{assembly_id}/items"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}/items", {"title": "Bericht"}, False,
         "kassel_board", "kassel_events"),
    ("patch", "/api/v1/agenda-items/{item_id}"):
        (lambda w: f"/api/v1/agenda-items/{w.item2.pk}", {"minutes_estimate": 10}, False,
         "kassel_board", "kassel_treasurer"),
    ("delete", "/api/v1/agenda-items/{item_id}"):
        (lambda w: f"/api/v1/agenda-items/{w.item2.pk}", None, False, "kassel_board",
         "kassel_events"),
    ("post", "/api/v1/agenda-items/{item_id}/move"):
        (lambda w: f"/api/v1/agenda-items/{w.item2.pk}/move", {"direction": "up"}, False,
         "kassel_board", "kassel_groups"),
    ("post", "/api/v1/agenda-items/{item_id}/call"):
        (lambda w: f"/api/v1/agenda-items/{w.item2.pk}/call", None, False, "kassel_board",
         "kassel_events"),
    ("get", "/api/v1/assemblies/{assembly_id}/participants"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}/participants", None, False,
         "kassel_events", "kassel_treasurer"),
    ("post", "/api/v1/assemblies/{assembly_id}/participants/build-voters"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}/participants/build-voters", None,
         False, "kassel_board", "kassel_events"),
    ("post", "/api/v1/assemblies/{assembly_id}/guests"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}/guests", {"name": "Presse"}, False,
         "kassel_board", "kassel_events"),
    ("post", "/api/v1/participants/{participant_id}/check-in"):
        (lambda w: f"/api/v1/participants/{w.guest.pk}/check-in", {}, False, "kassel_events",
         "kassel_treasurer"),
    ("post", "/api/v1/participants/{participant_id}/check-out"):
        (lambda w: f"/api/v1/participants/{w.voter.pk}/check-out", {}, False, "kassel_board",
         "kassel_admin"),
    ("post", "/api/v1/assemblies/{assembly_id}/check-in-code"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}/check-in-code",
         lambda w: {"code": _checkin_code(w.guest)}, False, "kassel_events",
         "kassel_groups"),
    ("get", "/api/v1/assemblies/{assembly_id}/attendance"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}/attendance", None, False,
         "kassel_events", "kassel_consultation"),
    ("get", "/api/v1/assemblies/{assembly_id}/quorum"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}/quorum", None, False, "kassel_events",
         "kassel_treasurer"),
    ("post", "/api/v1/assemblies/{assembly_id}/invitations"):
        (lambda w: f"/api/v1/assemblies/{w.invited_assembly.pk}/invitations", {}, False,
         "kassel_board", "kassel_events"),
    ("post", "/api/v1/assemblies/{assembly_id}/reminders"):
        (lambda w: f"/api/v1/assemblies/{w.invited_assembly.pk}/reminders", None, False,
         "kassel_board", "kassel_admin"),
    ("get", "/api/v1/assemblies/{assembly_id}/invitations"):
        (lambda w: f"/api/v1/assemblies/{w.invited_assembly.pk}/invitations", None, False,
         "kassel_board", "kassel_events"),
    ("get", "/api/v1/assemblies/{assembly_id}/minutes"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}/minutes", None, False,
         "kassel_board", "kassel_admin"),
    ("post", "/api/v1/assemblies/{assembly_id}/minutes"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}/minutes", {"replace": True}, False,
         "kassel_board", "kassel_events"),
    ("put", "/api/v1/assemblies/{assembly_id}/minutes"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}/minutes", {"text": "## Protokoll"},
         False, "kassel_board", "kassel_treasurer"),
    ("post", "/api/v1/assemblies/{assembly_id}/minutes/approve"):
        (lambda w: f"/api/v1/assemblies/{w.closed_assembly.pk}/minutes/approve", None, False,
         "kassel_board", "kassel_groups"),
    # the speakers' list
    ("get", "/api/v1/agenda-items/{item_id}/speakers"):
        (lambda w: f"/api/v1/agenda-items/{w.item.pk}/speakers", None, False, "kassel_board",
         "kassel_events"),
    ("post", "/api/v1/agenda-items/{item_id}/speakers"):
        (lambda w: f"/api/v1/agenda-items/{w.item.pk}/speakers",
         lambda w: {"participant_id": w.own_participant.pk, "kind": "contra"}, False,
         "kassel_board", "kassel_events"),
    ("post", "/api/v1/agenda-items/{item_id}/speakers/next"):
        (lambda w: f"/api/v1/agenda-items/{w.item.pk}/speakers/next", None, False,
         "kassel_board", "kassel_treasurer"),
    ("post", "/api/v1/agenda-items/{item_id}/speakers/end"):
        (lambda w: f"/api/v1/agenda-items/{w.item.pk}/speakers/end", None, False,
         "kassel_board", "kassel_events"),
    ("post", "/api/v1/agenda-items/{item_id}/speakers/extend"):
        (lambda w: f"/api/v1/agenda-items/{w.item.pk}/speakers/extend", {"seconds": 60},
         False, "kassel_board", "kassel_admin"),
    ("post", "/api/v1/agenda-items/{item_id}/speakers/close"):
        (lambda w: f"/api/v1/agenda-items/{w.item.pk}/speakers/close", {"reason": "Zeit"},
         False, "kassel_board", "kassel_events"),
    ("post", "/api/v1/agenda-items/{item_id}/speakers/reopen"):
        (lambda w: f"/api/v1/agenda-items/{w.item2.pk}/speakers/reopen",
         {"reason": "Neue Lage"}, False, "kassel_board", "kassel_events"),
    ("post", "/api/v1/speaker-requests/{request_id}/withdraw"):
        (lambda w: f"/api/v1/speaker-requests/{w.speaker_request.pk}/withdraw",
         {"reason": "Doppelt"}, False,
         "kassel_board", "kassel_events"),
    ("post", "/api/v1/speaker-requests/{request_id}/pin"):
        (lambda w: f"/api/v1/speaker-requests/{w.speaker_request.pk}/pin",
         {"reason": "Antragstellerin"}, False, "kassel_board", "kassel_groups"),
    ("post", "/api/v1/speaker-requests/{request_id}/remove"):
        (lambda w: f"/api/v1/speaker-requests/{w.speaker_request.pk}/remove",
         {"reason": "Doppelt"}, False, "kassel_board", "kassel_events"),
    # motions and votes
    ("get", "/api/v1/assemblies/{assembly_id}/motions"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}/motions", None, False,
         "kassel_board", "kassel_events"),
    ("post", "/api/v1/assemblies/{assembly_id}/motions"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}/motions",
         {"title": "Radwege", "text": "Mehr.", "submitter_name": "AG Verkehr"}, False,
         "kassel_board", "kassel_events"),
    ("get", "/api/v1/motions/{motion_id}"):
        (lambda w: f"/api/v1/motions/{w.motion.pk}", None, False, "kassel_board",
         "kassel_treasurer"),
    ("patch", "/api/v1/motions/{motion_id}"):
        (lambda w: f"/api/v1/motions/{w.motion.pk}", {"title": "Mieten deckeln"}, False,
         "kassel_board", "kassel_events"),
    ("post", "/api/v1/motions/{motion_id}/supporters"):
        (lambda w: f"/api/v1/motions/{w.motion.pk}/supporters",
         lambda w: {"contact_id": w.own.pk}, False, "kassel_board", "kassel_events"),
    ("post", "/api/v1/motions/{motion_id}/recommendation"):
        (lambda w: f"/api/v1/motions/{w.motion.pk}/recommendation",
         {"recommendation": "adopt"}, False, "kassel_board", "kassel_admin"),
    ("post", "/api/v1/motions/{motion_id}/status"):
        (lambda w: f"/api/v1/motions/{w.motion.pk}/status", {"status": "admitted"}, False,
         "kassel_board", "kassel_events"),
    ("post", "/api/v1/motions/{motion_id}/withdraw"):
        (lambda w: f"/api/v1/motions/{w.motion.pk}/withdraw", None, False, "kassel_board",
         "kassel_events"),
    ("get", "/api/v1/assemblies/{assembly_id}/votes"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}/votes", None, False, "kassel_board",
         "kassel_events"),
    ("post", "/api/v1/assemblies/{assembly_id}/votes"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}/votes",
         {"question": "Vertagen?", "method": "open"}, False, "kassel_board", "kassel_events"),
    ("get", "/api/v1/votes/{vote_id}"):
        (lambda w: f"/api/v1/votes/{w.counted_vote.pk}", None, False, "kassel_board",
         "kassel_admin"),
    ("delete", "/api/v1/votes/{vote_id}"):
        (lambda w: f"/api/v1/votes/{w.vote.pk}", None, False, "kassel_board", "kassel_events"),
    ("post", "/api/v1/votes/{vote_id}/open"):
        (lambda w: f"/api/v1/votes/{w.vote.pk}/open", None, False, "kassel_board",
         "kassel_events"),
    ("post", "/api/v1/votes/{vote_id}/counts"):
        (lambda w: f"/api/v1/votes/{w.counted_vote.pk}/counts",
         {"yes": 1, "no": 1, "abstain": 0}, False, "kassel_board", "kassel_events"),
    ("post", "/api/v1/votes/{vote_id}/close"):
        (lambda w: f"/api/v1/votes/{w.counted_vote.pk}/close", None, False, "kassel_board",
         "kassel_treasurer"),
    # elections
    ("get", "/api/v1/assemblies/{assembly_id}/elections"):
        (lambda w: f"/api/v1/assemblies/{w.election_assembly.pk}/elections", None, False,
         "kassel_board", "kassel_events"),
    ("post", "/api/v1/assemblies/{assembly_id}/elections"):
        (lambda w: f"/api/v1/assemblies/{w.election_assembly.pk}/elections",
         {"title": "Delegierte", "seats": 4, "kind": "list", "reserved": "odd",
          "min_share": 50}, False, "kassel_board", "kassel_events"),
    ("get", "/api/v1/elections/{election_id}"):
        (lambda w: f"/api/v1/elections/{w.election.pk}", None, False, "kassel_board",
         "kassel_events"),
    ("patch", "/api/v1/elections/{election_id}"):
        (lambda w: f"/api/v1/elections/{w.election.pk}", {"seats": 3}, False, "kassel_board",
         "kassel_admin"),
    ("post", "/api/v1/elections/{election_id}/candidates"):
        (lambda w: f"/api/v1/elections/{w.election.pk}/candidates",
         {"name": "Jo", "category": "open"}, False, "kassel_board", "kassel_events"),
    ("post", "/api/v1/candidates/{candidate_id}/withdraw"):
        (lambda w: f"/api/v1/candidates/{w.candidate.pk}/withdraw", None, False,
         "kassel_board", "kassel_events"),
    ("post", "/api/v1/elections/{election_id}/open"):
        (lambda w: f"/api/v1/elections/{w.election.pk}/open", None, False, "kassel_board",
         "kassel_groups"),
    ("post", "/api/v1/elections/{election_id}/paper-results"):
        (lambda w: f"/api/v1/elections/{w.paper_election.pk}/paper-results",
         lambda w: {"votes": {str(w.paper_candidate.pk): 2}, "ballots_cast": 2}, False,
         "kassel_board", "kassel_events"),
    ("post", "/api/v1/elections/{election_id}/count"):
        (lambda w: f"/api/v1/elections/{w.secret_election.pk}/count", None, False,
         "kassel_board", "kassel_events"),
    ("get", "/api/v1/elections/{election_id}/result"):
        (lambda w: f"/api/v1/elections/{w.secret_election.pk}/result", None, False,
         "kassel_board", "kassel_treasurer"),
    # the participant's own actions (here through the member's own account)
    ("get", "/api/v1/assemblies/{assembly_id}/me"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}/me", None, False,
         "duesseldorf_member", None),
    ("post", "/api/v1/assemblies/{assembly_id}/me/speaker-requests"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}/me/speaker-requests",
         {"kind": "regular"}, False, "duesseldorf_member", None),
    ("post", "/api/v1/assemblies/{assembly_id}/me/speaker-requests/{request_id}/withdraw"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}/me/speaker-requests/"
                   f"{w.own_request.pk}/withdraw", None, False, "duesseldorf_member", None),
    ("post", "/api/v1/assemblies/{assembly_id}/me/votes/{vote_id}"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}/me/votes/{w.phone_vote.pk}",
         {"choice": "yes"}, False, "duesseldorf_member", None),
    ("post", "/api/v1/assemblies/{assembly_id}/me/elections/{election_id}/ballot"):
        (lambda w: f"/api/v1/assemblies/{w.election_assembly.pk}/me/elections/"
                   f"{w.secret_election.pk}/ballot", {"abstain": True}, False,
         "duesseldorf_member", None),
    ("post", "/api/v1/assemblies/{assembly_id}/me/motions"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}/me/motions",
         {"title": "Kita", "text": "Beitragsfrei."}, False, "duesseldorf_member", None),
    ("post", "/api/v1/assemblies/{assembly_id}/me/motions/{motion_id}/support"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}/me/motions/{w.motion.pk}/support",
         None, False, "duesseldorf_member", None),
    ("delete", "/api/v1/assemblies/{assembly_id}/me/motions/{motion_id}/support"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}/me/motions/"
                   f"{w.supported_motion.pk}/support", None, False, "duesseldorf_member", None),
    ("post", "/api/v1/assemblies/{assembly_id}/me/motions/{motion_id}/withdraw"):
        (lambda w: f"/api/v1/assemblies/{w.assembly.pk}/me/motions/{w.own_motion.pk}/"
                   "withdraw", None, False, "duesseldorf_member", None),
    # the reporting channel: Düsseldorf's officer only (see reports_world), the board never
    ("post", "/api/v1/reports/{slug}/unlock"):
        (lambda w: "/api/v1/reports/duesseldorf/unlock",
         lambda w: {"passphrase": REPORT_PASSPHRASE,
                    "code": report_code(w.users["duesseldorf_officer"])}, False,
         "duesseldorf_officer", "duesseldorf_board"),
    ("post", "/api/v1/reports/{slug}/lock"):
        (lambda w: "/api/v1/reports/duesseldorf/lock", None, False, "duesseldorf_officer",
         "duesseldorf_board"),
    ("get", "/api/v1/reports/{slug}"):
        (lambda w: "/api/v1/reports/duesseldorf", None, False, "duesseldorf_officer",
         "duesseldorf_board"),
    ("get", "/api/v1/reports/{slug}/statistics"):
        (lambda w: "/api/v1/reports/duesseldorf/statistics", None, False,
         "duesseldorf_officer", "duesseldorf_admin"),
    ("get", "/api/v1/reports/{slug}/{number}"):
        (lambda w: f"/api/v1/reports/duesseldorf/{w.report.number}", None, False,
         "duesseldorf_officer", "duesseldorf_board"),
    ("patch", "/api/v1/reports/{slug}/{number}"):
        (lambda w: f"/api/v1/reports/duesseldorf/{w.report.number}",
         {"status": "in_progress", "reason": "Gespräch vereinbart"}, False,
         "duesseldorf_officer", "duesseldorf_admin"),
    ("post", "/api/v1/reports/{slug}/{number}/messages"):
        (lambda w: f"/api/v1/reports/duesseldorf/{w.report.number}/messages",
         {"text": "Danke für deine Meldung."}, False, "duesseldorf_officer",
         "duesseldorf_board"),
    ("post", "/api/v1/reports/{slug}/{number}/entries"):
        (lambda w: f"/api/v1/reports/duesseldorf/{w.report.number}/entries",
         {"kind": "note", "text": "Rückruf am Montag"}, False, "duesseldorf_officer",
         "duesseldorf_mentoring"),
    ("get", "/api/v1/reports/{slug}/{number}/files/{file_id}"):
        (lambda w: f"/api/v1/reports/duesseldorf/{w.report.number}/files/{w.report_file.pk}",
         None, False, "duesseldorf_officer", "duesseldorf_board"),
    # mentoring: the public programme and applying, an applicant's own actions with the
    # personal token (mentoring_world; the bearer token is ignored), the coordinator
    ("get", "/api/v1/mentoring/{slug}/programmes"):
        (lambda w: "/api/v1/mentoring/duesseldorf/programmes", None, True, None, None),
    ("get", "/api/v1/mentoring/{slug}/programmes/{pslug}"):
        (lambda w: "/api/v1/mentoring/duesseldorf/programmes/mentoring-2026", None, True, None,
         None),
    ("post", "/api/v1/mentoring/{slug}/programmes/{pslug}/applications"):
        (lambda w: "/api/v1/mentoring/duesseldorf/programmes/mentoring-2026/applications",
         {"role": "mentee", "name": "Ines", "email": "ines@example.org", "languages": ["de"],
          "hours_per_month": 4, "consent": True, "audience_confirmed": True}, True, None, None),
    ("get", "/api/v1/mentoring/me"):
        (lambda w: "/api/v1/mentoring/me", None, False, "duesseldorf_member", None),
    ("patch", "/api/v1/mentoring/me"):
        (lambda w: "/api/v1/mentoring/me", {"hours_per_month": 6}, False,
         "duesseldorf_member", None),
    ("post", "/api/v1/mentoring/me/answer"):
        (lambda w: "/api/v1/mentoring/me/answer", {"accept": True}, False,
         "duesseldorf_member", None),
    ("post", "/api/v1/mentoring/me/meetings"):
        (lambda w: "/api/v1/mentoring/me/meetings",
         lambda w: {"held_on": timezone.localdate(w.goal.pairing.started_at).isoformat(),
                    "kind": "accompanied", "minutes": 90}, False,
         "duesseldorf_member", None),
    ("post", "/api/v1/mentoring/me/goals"):
        (lambda w: "/api/v1/mentoring/me/goals", {"title": "Einen Antrag schreiben"}, False,
         "duesseldorf_member", None),
    ("patch", "/api/v1/mentoring/me/goals/{goal_id}"):
        (lambda w: f"/api/v1/mentoring/me/goals/{w.goal.pk}", {"status": "reached"}, False,
         "duesseldorf_member", None),
    ("post", "/api/v1/mentoring/me/notes"):
        (lambda w: "/api/v1/mentoring/me/notes", {"text": "Nachfragen"}, False,
         "duesseldorf_member", None),
    ("post", "/api/v1/mentoring/me/feedback"):
        (lambda w: "/api/v1/mentoring/me/feedback", {"rating": 5}, False,
         "duesseldorf_member", None),
    ("post", "/api/v1/mentoring/me/withdraw"):
        (lambda w: "/api/v1/mentoring/me/withdraw", None, False, "duesseldorf_member", None),
    ("post", "/api/v1/mentoring/me/end"):
        (lambda w: "/api/v1/mentoring/me/end", {}, False, "duesseldorf_member", None),
    ("post", "/api/v1/mentoring/me/link"):
        (lambda w: "/api/v1/mentoring/me/link", None, False, "duesseldorf_member", None),
    ("get", "/api/v1/mentoring/{slug}/manage/programmes"):
        (lambda w: "/api/v1/mentoring/duesseldorf/manage/programmes", None, False,
         "duesseldorf_mentoring", "duesseldorf_board"),
    ("post", "/api/v1/mentoring/{slug}/manage/programmes"):
        (lambda w: "/api/v1/mentoring/duesseldorf/manage/programmes",
         lambda w: _programme_body("mentoring-neu"), False, "duesseldorf_mentoring",
         "duesseldorf_admin"),
    ("patch", "/api/v1/mentoring/{slug}/manage/programmes/{programme_id}"):
        (lambda w: f"/api/v1/mentoring/duesseldorf/manage/programmes/{w.programme.pk}",
         {"description": "Neu"}, False, "duesseldorf_mentoring", "duesseldorf_board"),
    ("post", "/api/v1/mentoring/{slug}/manage/programmes/{programme_id}/status"):
        (lambda w: f"/api/v1/mentoring/duesseldorf/manage/programmes/{w.programme.pk}/status",
         {"status": "running"}, False, "duesseldorf_mentoring", "duesseldorf_board"),
    ("get", "/api/v1/mentoring/{slug}/manage/programmes/{programme_id}/pool"):
        (lambda w: f"/api/v1/mentoring/duesseldorf/manage/programmes/{w.programme.pk}/pool",
         None, False, "duesseldorf_mentoring", "duesseldorf_officer"),
    ("get", "/api/v1/mentoring/{slug}/manage/programmes/{programme_id}/applications/"
            "{application_id}"):
        (lambda w: f"/api/v1/mentoring/duesseldorf/manage/programmes/{w.programme.pk}/"
                   f"applications/{w.eva.pk}", None, False, "duesseldorf_mentoring",
         "duesseldorf_board"),
    ("post", "/api/v1/mentoring/{slug}/manage/programmes/{programme_id}/applications/"
             "{application_id}/decline"):
        (lambda w: f"/api/v1/mentoring/duesseldorf/manage/programmes/{w.programme.pk}/"
                   f"applications/{w.eva.pk}/decline", {"note": "Kein Platz"}, False,
         "duesseldorf_mentoring", "duesseldorf_admin"),
    ("post", "/api/v1/mentoring/{slug}/manage/programmes/{programme_id}/applications/"
             "{application_id}/withdraw"):
        (lambda w: f"/api/v1/mentoring/duesseldorf/manage/programmes/{w.programme.pk}/"
                   f"applications/{w.eva.pk}/withdraw", None, False, "duesseldorf_mentoring",
         "duesseldorf_board"),
    ("post", "/api/v1/mentoring/{slug}/manage/programmes/{programme_id}/applications/"
             "{application_id}/rematch"):
        (lambda w: f"/api/v1/mentoring/duesseldorf/manage/programmes/{w.programme.pk}/"
                   f"applications/{w.eva.pk}/rematch", None, False, "duesseldorf_mentoring",
         "duesseldorf_admin"),
    ("get", "/api/v1/mentoring/{slug}/manage/programmes/{programme_id}/rules"):
        (lambda w: f"/api/v1/mentoring/duesseldorf/manage/programmes/{w.programme.pk}/rules",
         None, False, "duesseldorf_mentoring", "duesseldorf_board"),
    ("post", "/api/v1/mentoring/{slug}/manage/programmes/{programme_id}/rules"):
        (lambda w: f"/api/v1/mentoring/duesseldorf/manage/programmes/{w.programme.pk}/rules",
         lambda w: {"mentee_id": w.eva.pk, "mentor_id": w.hana.pk, "kind": "forbid",
                    "reason": "Kennen sich"}, False, "duesseldorf_mentoring",
         "duesseldorf_board"),
    ("delete", "/api/v1/mentoring/{slug}/manage/programmes/{programme_id}/rules/{rule_id}"):
        (lambda w: f"/api/v1/mentoring/duesseldorf/manage/programmes/{w.programme.pk}/rules/"
                   f"{w.rule.pk}", None, False, "duesseldorf_mentoring", "duesseldorf_officer"),
    ("post", "/api/v1/mentoring/{slug}/manage/programmes/{programme_id}/runs"):
        (lambda w: f"/api/v1/mentoring/duesseldorf/manage/programmes/{w.programme.pk}/runs",
         None, False, "duesseldorf_mentoring", "duesseldorf_board"),
    ("get", "/api/v1/mentoring/{slug}/manage/programmes/{programme_id}/runs/{run_id}"):
        (lambda w: f"/api/v1/mentoring/duesseldorf/manage/programmes/{w.programme.pk}/runs/"
                   f"{w.run.pk}", None, False, "duesseldorf_mentoring", "duesseldorf_admin"),
    ("post", "/api/v1/mentoring/{slug}/manage/programmes/{programme_id}/runs/{run_id}/send"):
        (lambda w: f"/api/v1/mentoring/duesseldorf/manage/programmes/{w.programme.pk}/runs/"
                   f"{w.run.pk}/send", None, False, "duesseldorf_mentoring",
         "duesseldorf_board"),
    ("get", "/api/v1/mentoring/{slug}/manage/programmes/{programme_id}/pairs"):
        (lambda w: f"/api/v1/mentoring/duesseldorf/manage/programmes/{w.programme.pk}/pairs",
         None, False, "duesseldorf_mentoring", "duesseldorf_officer"),
    ("post", "/api/v1/mentoring/{slug}/manage/programmes/{programme_id}/pairs/{pair_id}/"
             "retract"):
        (lambda w: f"/api/v1/mentoring/duesseldorf/manage/programmes/{w.programme.pk}/pairs/"
                   f"{w.proposal.pk}/retract", None, False, "duesseldorf_mentoring",
         "duesseldorf_board"),
    ("post", "/api/v1/mentoring/{slug}/manage/programmes/{programme_id}/pairs/{pair_id}/end"):
        (lambda w: f"/api/v1/mentoring/duesseldorf/manage/programmes/{w.programme.pk}/pairs/"
                   f"{w.active_pair.pk}/end", {"mentee_continues": False}, False,
         "duesseldorf_mentoring", "duesseldorf_admin"),
}

# The same operation aimed at Düsseldorf, for the "another organisation's id" check.
FOREIGN = {
    "/api/v1/organisations/{organisation_id}":
        lambda w: f"/api/v1/organisations/{w.duesseldorf.pk}",
    "/api/v1/organisations/{organisation_id}/roles":
        lambda w: f"/api/v1/organisations/{w.duesseldorf.pk}/roles",
    "/api/v1/organisations/{organisation_id}/audit":
        lambda w: f"/api/v1/organisations/{w.duesseldorf.pk}/audit",
    "/api/v1/organisations/{organisation_id}/places":
        lambda w: f"/api/v1/organisations/{w.duesseldorf.pk}/places",
    "/api/v1/places/{place_id}": lambda w: f"/api/v1/places/{w.duesseldorf_office.pk}",
    "/api/v1/organisations/{organisation_id}/contacts":
        lambda w: f"/api/v1/organisations/{w.duesseldorf.pk}/contacts",
    "/api/v1/contacts/{contact_id}": lambda w: f"/api/v1/contacts/{w.fremd_contact.pk}",
    "/api/v1/contacts/{contact_id}/status":
        lambda w: f"/api/v1/contacts/{w.fremd_contact.pk}/status",
    "/api/v1/contacts/{contact_id}/consents":
        lambda w: f"/api/v1/contacts/{w.fremd_contact.pk}/consents",
    "/api/v1/contacts/{contact_id}/consent-requests":
        lambda w: f"/api/v1/contacts/{w.fremd_contact.pk}/consent-requests",
    "/api/v1/me/contacts/{contact_id}/consents":
        lambda w: f"/api/v1/me/contacts/{w.fremd_contact.pk}/consents",
    "/api/v1/groups/{group_id}/status": lambda w: f"/api/v1/groups/{w.fremd_group.pk}/status",
    "/api/v1/groups/{group_id}/join-requests":
        lambda w: f"/api/v1/groups/{w.fremd_group.pk}/join-requests",
    "/api/v1/organisations/{organisation_id}/join-requests":
        lambda w: f"/api/v1/organisations/{w.duesseldorf.pk}/join-requests",
    "/api/v1/join-requests/{request_id}/decision":
        lambda w: f"/api/v1/join-requests/{w.fremd_join_request.pk}/decision",
    "/api/v1/organisations/{organisation_id}/group-proposals":
        lambda w: f"/api/v1/organisations/{w.duesseldorf.pk}/group-proposals",
    "/api/v1/organisations/{organisation_id}/applications":
        lambda w: f"/api/v1/organisations/{w.duesseldorf.pk}/applications",
    "/api/v1/applications/{application_id}/decision":
        lambda w: f"/api/v1/applications/{w.fremd_application.pk}/decision",
    "/api/v1/group-proposals/{proposal_id}/decision":
        lambda w: f"/api/v1/group-proposals/{w.fremd_proposal.pk}/decision",
    "/api/v1/events/{event_id}": lambda w: f"/api/v1/events/{w.fremd_event.pk}",
    "/api/v1/events/{event_id}/access": lambda w: f"/api/v1/events/{w.fremd_event.pk}/access",
    "/api/v1/events/{event_id}/status": lambda w: f"/api/v1/events/{w.fremd_event.pk}/status",
    "/api/v1/events/{event_id}/registrations":
        lambda w: f"/api/v1/events/{w.fremd_event.pk}/registrations",
    "/api/v1/registrations/{registration_id}/cancel":
        lambda w: f"/api/v1/registrations/{w.fremd_registration.pk}/cancel",
    "/api/v1/registrations/{registration_id}/decide":
        lambda w: f"/api/v1/registrations/{w.fremd_pending_registration.pk}/decide",
    "/api/v1/registrations/{registration_id}/checkin":
        lambda w: f"/api/v1/registrations/{w.fremd_registration.pk}/checkin",
    "/api/v1/organisations/{organisation_id}/assembly-rules":
        lambda w: f"/api/v1/organisations/{w.duesseldorf.pk}/assembly-rules",
    "/api/v1/organisations/{organisation_id}/assemblies":
        lambda w: f"/api/v1/organisations/{w.duesseldorf.pk}/assemblies",
    "/api/v1/organisations/{organisation_id}/resolutions":
        lambda w: f"/api/v1/organisations/{w.duesseldorf.pk}/resolutions",
    "/api/v1/assemblies/{assembly_id}": lambda w: f"/api/v1/assemblies/{w.fremd_assembly.pk}",
    **{f"/api/v1/assemblies/{{assembly_id}}/{part}":
       lambda w, part=part: f"/api/v1/assemblies/{w.fremd_assembly.pk}/{part}"
       for part in ["status", "live", "items", "participants", "participants/build-voters",
                    "guests", "check-in-code", "attendance", "quorum", "invitations",
                    "reminders", "minutes", "minutes/approve", "motions", "votes", "elections",
                    "me", "me/speaker-requests", "me/motions"]},
    "/api/v1/agenda-items/{item_id}": lambda w: f"/api/v1/agenda-items/{w.fremd_item.pk}",
    **{f"/api/v1/agenda-items/{{item_id}}/{part}":
       lambda w, part=part: f"/api/v1/agenda-items/{w.fremd_item.pk}/{part}"
       for part in ["move", "call", "speakers", "speakers/next", "speakers/end",
                    "speakers/extend", "speakers/close", "speakers/reopen"]},
    "/api/v1/participants/{participant_id}/check-in":
        lambda w: f"/api/v1/participants/{w.fremd_participant.pk}/check-in",
    "/api/v1/participants/{participant_id}/check-out":
        lambda w: f"/api/v1/participants/{w.fremd_participant.pk}/check-out",
    **{f"/api/v1/speaker-requests/{{request_id}}/{part}":
       lambda w, part=part: f"/api/v1/speaker-requests/{w.fremd_speaker_request.pk}/{part}"
       for part in ["withdraw", "pin", "remove"]},
    "/api/v1/motions/{motion_id}": lambda w: f"/api/v1/motions/{w.fremd_motion.pk}",
    **{f"/api/v1/motions/{{motion_id}}/{part}":
       lambda w, part=part: f"/api/v1/motions/{w.fremd_motion.pk}/{part}"
       for part in ["supporters", "recommendation", "status", "withdraw"]},
    "/api/v1/votes/{vote_id}": lambda w: f"/api/v1/votes/{w.fremd_vote.pk}",
    **{f"/api/v1/votes/{{vote_id}}/{part}":
       lambda w, part=part: f"/api/v1/votes/{w.fremd_vote.pk}/{part}"
       for part in ["open", "counts", "close"]},
    "/api/v1/elections/{election_id}": lambda w: f"/api/v1/elections/{w.fremd_election.pk}",
    **{f"/api/v1/elections/{{election_id}}/{part}":
       lambda w, part=part: f"/api/v1/elections/{w.fremd_election.pk}/{part}"
       for part in ["candidates", "open", "paper-results", "count", "result"]},
    "/api/v1/candidates/{candidate_id}/withdraw":
        lambda w: f"/api/v1/candidates/{w.fremd_candidate.pk}/withdraw",
    # The participant's own actions on another organisation's assembly and objects.
    "/api/v1/assemblies/{assembly_id}/me/speaker-requests/{request_id}/withdraw":
        lambda w: f"/api/v1/assemblies/{w.fremd_assembly.pk}/me/speaker-requests/"
                  f"{w.fremd_speaker_request.pk}/withdraw",
    "/api/v1/assemblies/{assembly_id}/me/votes/{vote_id}":
        lambda w: f"/api/v1/assemblies/{w.fremd_assembly.pk}/me/votes/{w.fremd_vote.pk}",
    "/api/v1/assemblies/{assembly_id}/me/elections/{election_id}/ballot":
        lambda w: f"/api/v1/assemblies/{w.fremd_assembly.pk}/me/elections/"
                  f"{w.fremd_election.pk}/ballot",
    **{f"/api/v1/assemblies/{{assembly_id}}/me/motions/{{motion_id}}/{part}":
       lambda w, part=part: f"/api/v1/assemblies/{w.fremd_assembly.pk}/me/motions/"
                            f"{w.fremd_motion.pk}/{part}"
       for part in ["support", "withdraw"]},
    # Düsseldorf's officer on Kassel's reporting channel.
    "/api/v1/reports/{slug}": lambda w: "/api/v1/reports/kassel",
    **{f"/api/v1/reports/{{slug}}/{part}":
       lambda w, part=part: f"/api/v1/reports/kassel/{part}"
       for part in ["unlock", "lock", "statistics"]},
    "/api/v1/reports/{slug}/{number}": lambda w: f"/api/v1/reports/kassel/{w.report.number}",
    **{f"/api/v1/reports/{{slug}}/{{number}}/{part}":
       lambda w, part=part: f"/api/v1/reports/kassel/{w.report.number}/{part}"
       for part in ["messages", "entries"]},
    "/api/v1/reports/{slug}/{number}/files/{file_id}":
        lambda w: f"/api/v1/reports/kassel/{w.report.number}/files/{w.report_file.pk}",
    # Düsseldorf's mentoring coordinator on Kassel's programme; an applicant on the goal of a
    # pair that is not hers.
    "/api/v1/mentoring/me/goals/{goal_id}":
        lambda w: f"/api/v1/mentoring/me/goals/{w.foreign_goal.pk}",
    "/api/v1/mentoring/{slug}/manage/programmes": lambda w: "/api/v1/mentoring/kassel/manage/"
                                                            "programmes",
    **{f"/api/v1/mentoring/{{slug}}/manage/programmes/{{programme_id}}{part}":
       lambda w, part=part: "/api/v1/mentoring/kassel/manage/programmes/"
                            f"{w.kassel_programme.pk}{part}"
       for part in ["", "/status", "/pool", "/rules", "/runs", "/pairs"]},
    "/api/v1/mentoring/{slug}/manage/programmes/{programme_id}/applications/{application_id}":
        lambda w: f"/api/v1/mentoring/kassel/manage/programmes/{w.kassel_programme.pk}/"
                  f"applications/{w.eva.pk}",
    **{"/api/v1/mentoring/{slug}/manage/programmes/{programme_id}/applications/"
       f"{{application_id}}/{action}":
       lambda w, action=action: f"/api/v1/mentoring/kassel/manage/programmes/"
                                f"{w.kassel_programme.pk}/applications/{w.eva.pk}/{action}"
       for action in ["decline", "withdraw", "rematch"]},
    "/api/v1/mentoring/{slug}/manage/programmes/{programme_id}/pairs/{pair_id}/retract":
        lambda w: f"/api/v1/mentoring/kassel/manage/programmes/{w.kassel_programme.pk}/pairs/"
                  f"{w.proposal.pk}/retract",
    "/api/v1/mentoring/{slug}/manage/programmes/{programme_id}/pairs/{pair_id}/end":
        lambda w: f"/api/v1/mentoring/kassel/manage/programmes/{w.kassel_programme.pk}/pairs/"
                  f"{w.active_pair.pk}/end",
    "/api/v1/mentoring/{slug}/manage/programmes/{programme_id}/rules/{rule_id}":
        lambda w: f"/api/v1/mentoring/kassel/manage/programmes/{w.kassel_programme.pk}/rules/"
                  f"{w.rule.pk}",
    "/api/v1/mentoring/{slug}/manage/programmes/{programme_id}/runs/{run_id}":
        lambda w: f"/api/v1/mentoring/kassel/manage/programmes/{w.kassel_programme.pk}/runs/"
                  f"{w.run.pk}",
    "/api/v1/mentoring/{slug}/manage/programmes/{programme_id}/runs/{run_id}/send":
        lambda w: f"/api/v1/mentoring/kassel/manage/programmes/{w.kassel_programme.pk}/runs/"
                  f"{w.run.pk}/send",
}


def _programme_body(slug):
    from tests.mentoring.conftest import programme_data

    return {key: value.isoformat() if hasattr(value, "isoformat") else value
            for key, value in programme_data(slug=slug).items()}


def test_openapi_schema_is_valid_openapi_3(client):
    schema = client.get("/api/v1/openapi.json").json()
    validate(schema)
    assert schema["openapi"].startswith("3.")
    assert "BearerToken" in schema["components"]["securitySchemes"]


def test_every_operation_in_the_schema_is_tested(client):
    schema = client.get("/api/v1/openapi.json").json()
    operations = {(method, path) for path, item in schema["paths"].items() for method in item}
    assert operations == set(OPERATIONS)


@pytest.mark.parametrize("operation", sorted(OPERATIONS), ids=lambda o: f"{o[0]} {o[1]}")
def test_who_may_and_who_may_not(world, client, token_for, operation):
    method, path = operation
    url, body, public, allowed, refused = OPERATIONS[operation]
    if callable(body):
        body = body(world)
    anonymous = _json(client, method, url(world), {}, body)
    if public:
        assert anonymous.status_code in (200, 201, 202), anonymous.content
        return
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthenticated"
    # The reporting channel also needs the officer's unlock token, an applicant's mentoring rows
    # her personal token; neither opens anything for others.
    extra = {**getattr(world, "unlock_headers", {}), **getattr(world, "mentoring_headers", {})}
    if refused:
        response = _json(client, method, url(world), {**token_for(refused), **extra}, body)
        assert response.status_code == 403, response.content
        assert response.json()["error"]["code"] == "forbidden"
    if path in FOREIGN:
        headers = {**token_for(allowed), **extra}
        before = AuditEntry.objects.count()
        response = _json(client, method, FOREIGN[path](world), headers, body)
        assert response.status_code == 404, response.content
        assert response.json()["error"]["code"] == "not_found"
        assert AuditEntry.objects.count() == before
    response = _json(client, method, url(world), {**token_for(allowed), **extra}, body)
    assert response.status_code in (200, 201, 202, 204), response.content


def test_kassel_board_sees_nothing_personal_of_duesseldorf(world, client, token_for):
    headers = token_for("kassel_board")
    for url in [f"/api/v1/organisations/{world.duesseldorf.pk}/roles",
                f"/api/v1/organisations/{world.duesseldorf.pk}/audit"]:
        response = client.get(url, **headers)
        assert response.status_code == 404
        assert "duesseldorf_board" not in response.content.decode()


def test_a_token_is_bounded_by_its_organisation(world, client, token_for):
    # The Hessen board may change Kassel, but not with a token issued for Kassel... and a token
    # issued for Kassel cannot reach Hessen itself.
    headers = token_for("hessen_board", world.kassel)
    ok = client.patch(f"/api/v1/organisations/{world.kassel.pk}", data={"tagline": "x"},
                      content_type="application/json", **headers)
    assert ok.status_code == 200
    response = client.patch(f"/api/v1/organisations/{world.hessen.pk}", data={"tagline": "x"},
                            content_type="application/json", **headers)
    assert response.status_code == 404
    world.hessen.refresh_from_db()
    assert world.hessen.tagline == ""


def test_reads_of_personal_data_are_audit_logged(world, client, token_for):
    client.get(f"/api/v1/organisations/{world.kassel.pk}/roles", **token_for("kassel_board"))
    entry = AuditEntry.objects.filter(action="view").first()
    assert entry.via == "api" and entry.organisation == world.kassel


def test_pagination(world, client):
    page = client.get("/api/v1/organisations?page=1&page_size=2").json()
    assert page["count"] == Organisation.objects.filter(is_public=True).count()
    assert len(page["items"]) == 2
    bad = client.get("/api/v1/organisations?page=zero")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid"


def test_place_create_returns_the_place_and_audits(world, client, token_for):
    response = client.post(f"/api/v1/organisations/{world.kassel.pk}/places",
                           data={"name": "Stadtteilzentrum Wesertor", "kind": "district_centre",
                                 "district_id": world.kassel_office.district_id,
                                 "step_free": "yes"},
                           content_type="application/json", **token_for("kassel_board"))
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Stadtteilzentrum Wesertor" and body["organisation_id"] == \
        world.kassel.pk
    assert AuditEntry.objects.filter(action="create", object_id=str(body["id"]),
                                     via="api").exists()


@pytest.mark.parametrize("body", [
    {},
    {"name": ""},
    {"name": "x" * 201},
    {"name": "a\x00b"},
    {"name": 42},
    {"name": ["list"]},
    {"name": "Ok", "kind": "castle"},
    {"name": "Ok", "step_free": True},
    {"name": "Ok", "district_id": "drei"},
    {"name": "Ok", "district_id": 999999},
])
def test_bad_place_input_gets_a_clear_error_and_changes_nothing(world, client, token_for, body):
    count = Place.objects.count()
    response = client.post(f"/api/v1/organisations/{world.kassel.pk}/places", data=body,
                           content_type="application/json", **token_for("kassel_board"))
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"] and error["fields"]
    assert Place.objects.count() == count


def test_error_messages_follow_the_language(world, client, token_for):
    headers = token_for("kassel_board")
    url = f"/api/v1/organisations/{world.kassel.pk}/places"
    german = client.post(url, data={}, content_type="application/json", **headers)
    english = client.post(url, data={}, content_type="application/json",
                          HTTP_ACCEPT_LANGUAGE="en", **headers)
    assert "nichts" in german.json()["error"]["message"]
    assert "Nothing was changed" in english.json()["error"]["message"]


def test_malformed_json_and_wrong_encoding_change_nothing(world, client, token_for):
    headers = token_for("kassel_board")
    url = f"/api/v1/organisations/{world.kassel.pk}/places"
    for raw in [b"{not json", "{\"name\": \"B\xfcro\"}".encode("cp1252"), b""]:
        response = client.post(url, data=raw, content_type="application/json", **headers)
        assert response.status_code in (400, 422), (raw, response.content)
    assert not Place.objects.filter(organisation=world.kassel).exclude(
        pk=world.kassel_office.pk).exists()


def test_patch_with_bad_values_changes_nothing(world, client, token_for):
    headers = token_for("kassel_board")
    for body in [{"name": None}, {"contact_email": "nope"}, {"about": "x" * 5001},
                 {"name": "a\x00"}, {"about": None}, {"tagline": None}, {"is_public": None},
                 {"website": None}, {"is_public": "vielleicht"}]:
        response = client.patch(f"/api/v1/organisations/{world.kassel.pk}", data=body,
                                content_type="application/json", **headers)
        assert response.status_code == 422, (body, response.content)
    world.kassel.refresh_from_db()
    assert world.kassel.name == "Kassel" and world.kassel.about == "Wir sind die Kasseler."


def test_non_public_places_and_organisations_stay_hidden(world, client):
    Place.objects.filter(pk=world.kassel_office.pk).update(is_public=False)
    assert client.get(f"/api/v1/places/{world.kassel_office.pk}").status_code == 404
    assert world.kassel_office.pk not in [p["id"] for p in
                                          client.get("/api/v1/places").json()["items"]]
    Organisation.objects.filter(pk=world.duesseldorf.pk).update(is_public=False)
    assert client.get(f"/api/v1/organisations/{world.duesseldorf.pk}").status_code == 404


def test_cooperation_lists_its_partners(world, client):
    body = client.get(f"/api/v1/cooperations/{world.cooperation.pk}").json()
    assert set(body["partner_ids"]) == {world.kassel.pk, world.duesseldorf.pk}
    assert client.get("/api/v1/cooperations/999999").status_code == 404


def test_districts_filter_by_municipality(world, client):
    names = [d["name"] for d in client.get("/api/v1/districts?municipality=kassel").json()["items"]]
    assert names == ["Mitte", "Wesertor"]
    assert client.get("/api/v1/districts?municipality=nowhere").json()["count"] == 0


@pytest.mark.parametrize("field", ["name", "kind", "operator", "street", "postcode", "city",
                                   "step_free", "accessible_toilet", "accessibility_notes",
                                   "is_public"])
def test_place_patch_with_null_is_refused_and_changes_nothing(world, client, token_for, field):
    response = client.patch(f"/api/v1/places/{world.kassel_office.pk}", data={field: None},
                            content_type="application/json", **token_for("kassel_board"))
    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "invalid"
    world.kassel_office.refresh_from_db()
    assert world.kassel_office.name == "Parteibüro"
