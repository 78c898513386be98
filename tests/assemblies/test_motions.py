"""Motions: numbering, amendments, supporters, the board's recommendation, admission and
withdrawal, through the services and through the pages (staff and the participant's phone)."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from mitmachen.assemblies import attendance, motions, services, votes
from mitmachen.assemblies.access import participant_token
from mitmachen.assemblies.models import (
    Assembly,
    Motion,
    MotionSupporter,
    Participant,
    Resolution,
    Vote,
)
from mitmachen.core.models import AuditEntry
from mitmachen.people.models import Contact
from tests.assemblies.conftest import member, participant_client, voter

pytestmark = pytest.mark.django_db
S = Motion.Status


def phone(participant):
    """The participant's phone, set to English (pages follow the language cookie, not the
    browser's Accept-Language)."""
    client, base = participant_client(participant)
    client.cookies["django_language"] = "en"
    return client, base


def submit(assembly, title="Mietendeckel jetzt", submitter=None, **fields):
    fields.setdefault("text", "Die Versammlung fordert einen Mietendeckel für Kassel.")
    fields.setdefault("submitter_name", "" if submitter else "Kreisvorstand")
    return motions.motion_submit(assembly=assembly, title=title, submitter=submitter,
                                 actor=None, **fields)


def contact_of(assembly, first_name) -> Contact:
    return voter(assembly, first_name).contact


@pytest.fixture
def chair(assembly, kassel_member):
    """An account without any role, named chair of the assembly (linked to Rosa's contact)."""
    Contact.objects.filter(pk=contact_of(assembly, "Rosa").pk).update(user=kassel_member)
    services.assembly_update(assembly=assembly, data={"chair": kassel_member}, actor=None)
    return kassel_member


# --- numbering -------------------------------------------------------------------------------

def test_motions_and_amendments_are_numbered_per_assembly(assembly, make_assembly, world):
    a1 = submit(assembly)
    a2 = submit(assembly, title="Mehr Busse")
    amend1 = submit(assembly, title="Deckel für fünf Jahre", amends=a1)
    amend2 = submit(assembly, title="Auch Gewerbe", amends=a1)
    amend_a2 = submit(assembly, title="Nachtbusse", amends=a2)
    assert [a1.number, a2.number] == ["A1", "A2"]
    assert [amend1.number, amend2.number, amend_a2.number] == ["A1-Ä1", "A1-Ä2", "A2-Ä1"]
    motions.motion_withdraw(motion=a2, actor=world.users["kassel_board"])
    # A withdrawn motion keeps its number; the next one does not take it again.
    assert submit(assembly, title="Sozialticket").number == "A3"
    other = make_assembly(organisation=world.duesseldorf, members=[])
    assert submit(other).number == "A1"


def test_an_amendment_takes_its_motions_agenda_item(assembly):
    item = services.item_create(assembly=assembly, title="Anträge", actor=None)
    a1 = submit(assembly, item=item)
    assert submit(assembly, title="Änderung", amends=a1).item == item


def test_an_amendment_to_an_amendment_is_refused(assembly):
    a1 = submit(assembly)
    amendment = submit(assembly, title="Änderung", amends=a1)
    with translation.override("en"), pytest.raises(ValidationError,
                                                   match="not another amendment"):
        submit(assembly, title="Änderung der Änderung", amends=amendment)


def test_a_closed_assembly_takes_no_motion(assembly):
    services.status_change(assembly=assembly, status=Assembly.Status.IN_SESSION, actor=None)
    services.status_change(assembly=assembly, status=Assembly.Status.CLOSED, actor=None)
    with translation.override("en"), pytest.raises(ValidationError, match="closed"):
        submit(assembly)
    assert not Motion.objects.exists()


@pytest.mark.parametrize("fields, message", [
    ({"title": ""}, "cannot be empty"),
    ({"title": "   "}, "cannot be empty"),
    ({"title": "x" * 201}, "At most 200"),
    ({"title": 123}, "Enter text"),
    ({"text": ""}, "cannot be empty"),
    ({"text": "Mieten\x00runter"}, "Null characters"),
    ({"text": "x" * 50001}, "At most 50000"),
    ({"reasoning": ["a list"]}, "Enter text"),
    ({"submitter_name": "", "submitter": None}, "cannot be empty"),
])
def test_bad_input_is_refused_and_changes_nothing(assembly, fields, message):
    data = {"title": "Mietendeckel", "text": "Text", "submitter_name": "Vorstand", **fields}
    with translation.override("en"), pytest.raises(ValidationError, match=message):
        motions.motion_submit(assembly=assembly, actor=None, **{"submitter": None, **data})
    assert not Motion.objects.exists()
    assert not AuditEntry.objects.filter(object_type="assemblies.motion").exists()


def test_another_organisations_ids_are_refused(assembly, make_assembly, world):
    other = make_assembly(organisation=world.duesseldorf,
                          members=[("Dora", "Düssel", "flinta", "dora@example.org", "")])
    foreign_contact = other.participants.get().contact
    foreign_motion = submit(other)
    foreign_item = services.item_create(assembly=other, title="Anträge", actor=None)
    with translation.override("en"):
        with pytest.raises(ValidationError, match="member of this organisation"):
            submit(assembly, submitter=foreign_contact)
        with pytest.raises(ValidationError, match="motion of this assembly"):
            submit(assembly, amends=foreign_motion)
        with pytest.raises(ValidationError, match="item of this assembly"):
            submit(assembly, item=foreign_item)
    assert not Motion.objects.filter(assembly=assembly).exists()


def test_a_members_motion_carries_their_name(assembly):
    motion = submit(assembly, submitter=contact_of(assembly, "Karl"))
    assert motion.submitter_name == "Karl Lieb"
    entry = AuditEntry.objects.get(object_type="assemblies.motion", object_id=str(motion.pk))
    assert entry.organisation == assembly.organisation


# --- supporters ------------------------------------------------------------------------------

def test_members_support_once_each_and_not_their_own_motion(assembly):
    karl = contact_of(assembly, "Karl")
    motion = submit(assembly, submitter=karl)
    motions.motion_support(motion=motion, contact=contact_of(assembly, "Rosa"), actor=None)
    motions.motion_support(motion=motion, contact=contact_of(assembly, "Paul"), actor=None)
    with translation.override("en"):
        with pytest.raises(ValidationError, match="already support"):
            motions.motion_support(motion=motion, contact=contact_of(assembly, "Rosa"),
                                   actor=None)
        with pytest.raises(ValidationError, match="You submitted this motion"):
            motions.motion_support(motion=motion, contact=karl, actor=None)
    assert motion.supporters.count() == 2
    motions.motion_unsupport(motion=motion, contact=contact_of(assembly, "Rosa"), actor=None)
    assert list(motion.supporters.values_list("contact__first_name", flat=True)) == ["Paul"]
    with translation.override("en"), pytest.raises(ValidationError, match="do not support"):
        motions.motion_unsupport(motion=motion, contact=contact_of(assembly, "Rosa"),
                                 actor=None)


def test_only_members_of_the_organisation_support(assembly, make_assembly, world):
    motion = submit(assembly)
    supporter = member(world.kassel, "Sina", "Sympathisantin")
    Contact.objects.filter(pk=supporter.pk).update(status=Contact.Status.SUPPORTER)
    supporter.refresh_from_db()
    other = make_assembly(organisation=world.duesseldorf,
                          members=[("Dora", "Düssel", "flinta", "dora@example.org", "")])
    with translation.override("en"):
        for contact in (supporter, other.participants.get().contact):
            with pytest.raises(ValidationError, match="Only members of the organisation"):
                motions.motion_support(motion=motion, contact=contact, actor=None)
    assert not MotionSupporter.objects.exists()


def test_a_withdrawn_motion_takes_no_support(assembly, world):
    motion = submit(assembly)
    motions.motion_withdraw(motion=motion, actor=world.users["kassel_board"])
    with translation.override("en"), pytest.raises(ValidationError, match="withdrawn"):
        motions.motion_support(motion=motion, contact=contact_of(assembly, "Rosa"), actor=None)


# --- recommendation, admission, changes, withdrawal ------------------------------------------

def test_the_board_recommends(assembly, world):
    motion = submit(assembly)
    board = world.users["kassel_board"]
    motions.motion_recommend(motion=motion, recommendation=Motion.Recommendation.AMEND,
                             text="Mit Befristung.", actor=board)
    motion.refresh_from_db()
    assert (motion.recommendation, motion.recommendation_text) == ("amend", "Mit Befristung.")
    entry = AuditEntry.objects.filter(object_type="assemblies.motion").first()
    assert entry.actor == board and entry.changes["recommendation"] == ["", "amend"]
    with translation.override("en"):
        with pytest.raises(ValidationError, match="valid recommendation"):
            motions.motion_recommend(motion=motion, recommendation="maybe", actor=board)
        with pytest.raises(ValidationError, match="At most 5000"):
            motions.motion_recommend(motion=motion, recommendation="adopt", text="x" * 5001,
                                     actor=board)
    motion.refresh_from_db()
    assert motion.recommendation == "amend"


def test_admit_refer_and_the_transitions_refused(assembly):
    motion = submit(assembly)
    assert motions.motion_admit(motion=motion, actor=None).status == S.ADMITTED
    with translation.override("en"):
        with pytest.raises(ValidationError, match="cannot go from"):
            motions.motion_admit(motion=motion, actor=None)
        with pytest.raises(ValidationError, match="cannot go from"):
            motions.motion_status_change(motion=motion, status=S.ADOPTED, actor=None)
        with pytest.raises(ValidationError, match="valid status"):
            motions.motion_status_change(motion=motion, status="lost", actor=None)
    assert motions.motion_status_change(motion=motion, status=S.REFERRED,
                                        actor=None).status == S.REFERRED


def test_update_changes_the_wording_until_decided(assembly):
    motion = submit(assembly)
    motions.motion_update(motion=motion, data={"title": "Mietendeckel sofort"}, actor=None)
    motion.refresh_from_db()
    assert motion.title == "Mietendeckel sofort"
    with translation.override("en"), pytest.raises(ValidationError, match="cannot be empty"):
        motions.motion_update(motion=motion, data={"text": ""}, actor=None)
    motions.motion_status_change(motion=motion, status=S.REFERRED, actor=None)
    with translation.override("en"), pytest.raises(ValidationError, match="can no longer"):
        motions.motion_update(motion=motion, data={"title": "Neu"}, actor=None)
    motion.refresh_from_db()
    assert motion.title == "Mietendeckel sofort"


def test_withdrawal_by_the_submitter_or_the_chair_only(assembly, chair, world):
    karl = contact_of(assembly, "Karl")
    motion = submit(assembly, submitter=karl)
    amendment = submit(assembly, title="Änderung", amends=motion)
    with translation.override("en"), pytest.raises(ValidationError, match="Only the submitter"):
        motions.motion_withdraw(motion=motion, contact=contact_of(assembly, "Paul"), actor=None)
    with translation.override("en"), pytest.raises(ValidationError, match="Only the submitter"):
        motions.motion_withdraw(motion=motion, actor=world.users["kassel_events"])
    motions.motion_withdraw(motion=motion, contact=karl, actor=None)
    motion.refresh_from_db()
    amendment.refresh_from_db()
    assert (motion.status, amendment.status) == (S.WITHDRAWN, S.WITHDRAWN)
    second = submit(assembly, title="Zweiter Antrag", submitter=karl)
    motions.motion_withdraw(motion=second, actor=chair)
    second.refresh_from_db()
    assert second.status == S.WITHDRAWN


# --- nothing changes while the hall votes ----------------------------------------------------

def vote_on(motion, method=Vote.Method.SECRET):
    """Put the motion to an open vote (the assembly in session, Karl and Paul present)."""
    assembly = motion.assembly
    if assembly.status != Assembly.Status.IN_SESSION:
        services.status_change(assembly=assembly, status=Assembly.Status.IN_SESSION, actor=None)
        for name in ("Karl", "Paul"):
            attendance.check_in(participant=voter(assembly, name), actor=None)
    motion = motions.motion_admit(motion=motion, actor=None)
    vote = votes.vote_create(assembly=motion.assembly, motion=motion, method=method,
                             actor=None)
    return votes.vote_open(vote=vote, actor=None)


def test_a_motion_under_vote_cannot_be_withdrawn_referred_or_reworded(assembly, world):
    board = world.users["kassel_board"]
    karl = contact_of(assembly, "Karl")
    motion = submit(assembly, submitter=karl)
    amendment = submit(assembly, title="Für fünf Jahre", amends=motion)
    vote = vote_on(motion)
    before = AuditEntry.objects.count()
    attempts = [
        lambda: motions.motion_withdraw(motion=motion, contact=karl, actor=None),
        lambda: motions.motion_withdraw(motion=motion, actor=board),
        lambda: motions.motion_status_change(motion=motion, status=S.REFERRED, actor=board),
        lambda: motions.motion_update(motion=motion, data={"text": "Anders."}, actor=board),
        lambda: motions.motion_recommend(motion=motion, recommendation="reject", actor=board),
        # its amendments are frozen with it, and it takes no new one
        lambda: motions.motion_withdraw(motion=amendment, actor=board),
        lambda: motions.motion_update(motion=amendment, data={"title": "Neu"}, actor=board),
        lambda: submit(assembly, title="Noch eine Änderung", amends=motion),
    ]
    for attempt in attempts:
        with translation.override("en"), pytest.raises(ValidationError,
                                                       match="A1 is being voted on"):
            attempt()
    motion.refresh_from_db()
    amendment.refresh_from_db()
    assert (motion.status, motion.text, motion.recommendation) == (
        S.ADMITTED, "Die Versammlung fordert einen Mietendeckel für Kassel.", "")
    assert amendment.status == S.SUBMITTED and amendment.title == "Für fünf Jahre"
    assert Motion.objects.count() == 2 and AuditEntry.objects.count() == before
    # The vote decides the text the hall saw; afterwards the record stands.
    votes.vote_cast(vote=vote, participant=voter(assembly, "Karl"), choice="yes")
    vote = votes.vote_close(vote=vote, actor=board)
    motion.refresh_from_db()
    assert vote.adopted is True and motion.status == S.ADOPTED
    assert Resolution.objects.get(vote=vote).text == motion.text


def test_a_vote_on_an_amendment_freezes_its_motion(assembly, world):
    board = world.users["kassel_board"]
    motion = submit(assembly)
    amendment = submit(assembly, title="Für fünf Jahre", amends=motion)
    vote = vote_on(amendment, method=Vote.Method.OPEN)
    for attempt in [lambda: motions.motion_withdraw(motion=motion, actor=board),
                    lambda: motions.motion_update(motion=motion, data={"title": "X"},
                                                  actor=board)]:
        with translation.override("en"), pytest.raises(ValidationError,
                                                       match="A1-Ä1 is being voted on"):
            attempt()
    motion.refresh_from_db()
    assert (motion.status, motion.title) == (S.SUBMITTED, "Mietendeckel jetzt")
    votes.vote_count_enter(vote=vote, yes=2, no=0, abstain=0, actor=board)
    votes.vote_close(vote=vote, actor=board)
    # Once closed, the motion can change again.
    motions.motion_update(motion=motion, data={"title": "Mietendeckel, fünf Jahre"},
                          actor=board)
    motion.refresh_from_db()
    assert motion.title == "Mietendeckel, fünf Jahre"


def test_a_prepared_vote_does_not_freeze_the_motion(assembly, world):
    motion = motions.motion_admit(motion=submit(assembly), actor=None)
    votes.vote_create(assembly=assembly, motion=motion, method=Vote.Method.OPEN, actor=None)
    motions.motion_withdraw(motion=motion, actor=world.users["kassel_board"])
    motion.refresh_from_db()
    assert motion.status == S.WITHDRAWN


# --- a member submits at most MAX_PER_MEMBER motions -----------------------------------------

def test_a_member_submits_at_most_ten_motions(assembly):
    karl = contact_of(assembly, "Karl")
    first = submit(assembly, submitter=karl, by_member=True)
    motions.motion_withdraw(motion=first, contact=karl, actor=None)  # withdrawn ones count too
    for n in range(motions.MAX_PER_MEMBER - 1):
        submit(assembly, title=f"Antrag {n}", submitter=karl, by_member=True)
    with translation.override("en"), pytest.raises(ValidationError,
                                                   match="10 motions and amendments"):
        submit(assembly, title="Einer zu viel", submitter=karl, by_member=True)
    assert Motion.objects.filter(submitter=karl).count() == motions.MAX_PER_MEMBER
    # Another member is not affected, nor the board entering a motion for Karl.
    submit(assembly, title="Von Paul", submitter=contact_of(assembly, "Paul"), by_member=True)
    submit(assembly, title="Vom Vorstand erfasst", submitter=karl)
    assert Motion.objects.filter(submitter=karl).count() == motions.MAX_PER_MEMBER + 1


def test_a_member_submission_needs_the_members_contact(assembly):
    with translation.override("en"), pytest.raises(ValidationError, match="Choose a member"):
        submit(assembly, by_member=True)
    assert not Motion.objects.exists()


# --- staff pages -----------------------------------------------------------------------------

def staff_url(assembly, tail=""):
    return f"/staff/{assembly.organisation.slug}/assemblies/{assembly.pk}/motions/{tail}"


@pytest.mark.parametrize("persona, status", [
    ("kassel_board", 200), ("chair", 200), ("kassel_events", 403), ("kassel_admin", 403),
    ("duesseldorf_board", 404), ("duesseldorf_member", 404)])
def test_who_may_open_the_motion_pages(assembly, chair, login, persona, status):
    motion = submit(assembly)
    client = login(None)
    if persona == "chair":
        client.force_login(chair)
    else:
        client = login(persona)
    for tail in ("", "book/", f"{motion.pk}/"):
        assert client.get(staff_url(assembly, tail)).status_code == status, tail


def test_anonymous_is_sent_to_the_login(assembly, login):
    response = login(None).get(staff_url(assembly))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_another_assemblys_motion_is_not_found(assembly, make_assembly, login, world):
    other = make_assembly(organisation=world.kassel, title="Zweite Versammlung", members=[])
    foreign = submit(other)
    client = login("kassel_board")
    assert client.get(staff_url(assembly, f"{foreign.pk}/")).status_code == 404
    response = client.post(staff_url(assembly, f"{foreign.pk}/"), {"action": "admit"})
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == S.SUBMITTED


def test_staff_add_a_motion_for_a_member(assembly, login):
    client = login("kassel_board")
    karl = voter(assembly, "Karl")
    response = client.post(staff_url(assembly), {
        "title": "Mehr Busse", "text": "Wir fordern mehr Busse.", "reasoning": "",
        "submitter": karl.pk, "submitter_name": ""})
    motion = Motion.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{motion.pk}/")
    assert (motion.number, motion.submitter, motion.submitter_name) == (
        "A1", karl.contact, "Karl Lieb")
    page = client.get(staff_url(assembly)).content.decode()
    assert "Mehr Busse" in page and "A1" in page


def test_staff_bad_motion_changes_nothing(assembly, login):
    client = login("kassel_board")
    response = client.post(staff_url(assembly), {"title": "", "text": "Text",
                                                 "submitter_name": "Vorstand"})
    assert response.status_code == 400
    assert "Es wurde nichts gespeichert" in response.content.decode()
    response = client.post(staff_url(assembly), {"title": "Titel", "text": "Text\x00",
                                                 "submitter_name": "Vorstand"})
    assert response.status_code == 400
    assert not Motion.objects.exists()


def test_the_chair_admits_but_only_the_board_recommends(assembly, chair, login):
    motion = submit(assembly)
    client = login(None)
    client.force_login(chair)
    assert client.post(staff_url(assembly, f"{motion.pk}/"),
                       {"action": "admit"}).status_code == 302
    response = client.post(staff_url(assembly, f"{motion.pk}/"), {
        "action": "recommend", "recommendation": "reject", "recommendation_text": ""})
    assert response.status_code == 403
    motion.refresh_from_db()
    assert (motion.status, motion.recommendation) == (S.ADMITTED, "")
    board = login("kassel_board")
    board.post(staff_url(assembly, f"{motion.pk}/"), {
        "action": "recommend", "recommendation": "reject", "recommendation_text": "Zu teuer"})
    motion.refresh_from_db()
    assert (motion.recommendation, motion.recommendation_text) == ("reject", "Zu teuer")


def test_the_motion_page_logs_who_read_the_supporters(assembly, login, world):
    motion = submit(assembly)
    motions.motion_support(motion=motion, contact=contact_of(assembly, "Paul"), actor=None)
    page = login("kassel_board").get(staff_url(assembly, f"{motion.pk}/")).content.decode()
    assert "Paul Sänger" in page
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VIEW,
                                     actor=world.users["kassel_board"],
                                     object_id=str(motion.pk)).exists()


def test_the_motion_book_prints_every_motion(assembly, login):
    a1 = submit(assembly, reasoning="Weil die Mieten steigen.")
    motions.motion_recommend(motion=a1, recommendation="adopt", text="Gute Idee", actor=None)
    submit(assembly, title="Änderung zum Deckel", amends=a1, text="Befristen auf 5 Jahre.")
    client = login("kassel_board")
    client.cookies["django_language"] = "en"
    page = client.get(staff_url(assembly, "book/")).content.decode()
    for text in ("A1 Mietendeckel jetzt", "Weil die Mieten steigen.", "Gute Idee",
                 "A1-Ä1 Änderung zum Deckel", "Befristen auf 5 Jahre.", "adopt"):
        assert text in page


# --- the participant's phone -----------------------------------------------------------------

def test_a_voter_submits_and_supports_through_the_personal_link(assembly):
    karl, rosa = voter(assembly, "Karl"), voter(assembly, "Rosa")
    client, base = phone(karl)
    response = client.post(f"{base}motions/", {"action": "submit", "title": "Mehr Busse",
                                               "text": "Wir fordern mehr Busse.",
                                               "reasoning": ""})
    assert response.status_code == 302
    motion = Motion.objects.get()
    assert (motion.submitter, motion.number) == (karl.contact, "A1")
    rosa_client, rosa_base = phone(rosa)
    rosa_client.post(f"{rosa_base}motions/", {"action": "support", "motion": motion.pk})
    assert list(motion.supporters.values_list("contact", flat=True)) == [rosa.contact.pk]
    response = rosa_client.post(f"{rosa_base}motions/", {"action": "support",
                                                         "motion": motion.pk})
    # Refusals on the phone answer 200: a 4xx would log the personal link (Django's logger).
    assert response.status_code == 200 and "already support" in response.content.decode()
    page = client.get(f"{base}motions/").content.decode()
    assert "Mehr Busse" in page
    client.post(f"{base}motions/", {"action": "withdraw", "motion": motion.pk})
    motion.refresh_from_db()
    assert motion.status == S.WITHDRAWN


def test_a_guest_cannot_submit(assembly):
    guest = services.guest_add(assembly=assembly, name="Gast Gustav", actor=None)
    client, base = phone(guest)
    response = client.post(f"{base}motions/", {"action": "submit", "title": "Antrag",
                                               "text": "Text"})
    assert response.status_code == 200
    assert "Only voting members" in response.content.decode()
    assert not Motion.objects.exists()


@pytest.mark.parametrize("motion_value", ["", "abc", "99999999", "1" * 40, "-1", "²", "١",
                                          "1²", " 1"])
def test_the_phone_refuses_bad_motion_ids(assembly, motion_value):
    client, base = phone(voter(assembly, "Karl"))
    response = client.post(f"{base}motions/", {"action": "support", "motion": motion_value})
    assert response.status_code == 200
    assert "Choose a motion of this assembly" in response.content.decode()
    assert not MotionSupporter.objects.exists()


def test_the_phone_cannot_touch_another_assemblys_motion(assembly, make_assembly, world):
    other = make_assembly(organisation=world.kassel, title="Zweite Versammlung", members=[])
    foreign = submit(other)
    client, base = phone(voter(assembly, "Karl"))
    response = client.post(f"{base}motions/", {"action": "support", "motion": foreign.pk})
    assert "Choose a motion of this assembly" in response.content.decode()
    assert not MotionSupporter.objects.exists()


def test_an_invalid_or_changed_link_is_not_found(assembly):
    karl = voter(assembly, "Karl")
    client, base = phone(karl)
    assert client.get(base.replace("-", "-0", 1) + "motions/").status_code == 404
    token = participant_token(karl)
    Participant.objects.filter(pk=karl.pk).update(nonce="renewed")
    assert client.get(f"/a/{token}/motions/").status_code == 404


def test_the_phone_refuses_too_many_motion_actions(assembly, monkeypatch):
    monkeypatch.setattr(motions, "PARTICIPANT_ACTIONS", 3)
    motion = submit(assembly)
    client, base = phone(voter(assembly, "Rosa"))
    for action in ("support", "unsupport", "support"):
        assert client.post(f"{base}motions/", {"action": action,
                                               "motion": motion.pk}).status_code == 302
    before = AuditEntry.objects.count()
    for action, fields in [("unsupport", {"motion": motion.pk}),
                           ("withdraw", {"motion": motion.pk}),
                           ("submit", {"title": "Flut", "text": "x" * 50000})]:
        response = client.post(f"{base}motions/", {"action": action, **fields})
        assert response.status_code == 200
        assert "Too many requests" in response.content.decode()
    assert list(motion.supporters.values_list("contact", flat=True)) == [
        contact_of(assembly, "Rosa").pk]
    assert Motion.objects.count() == 1 and AuditEntry.objects.count() == before
    # Another participant's phone is counted apart.
    other, other_base = phone(voter(assembly, "Paul"))
    assert other.post(f"{other_base}motions/", {"action": "support",
                                                "motion": motion.pk}).status_code == 302


def test_the_phone_caps_a_members_motions(assembly):
    karl = voter(assembly, "Karl")
    for n in range(motions.MAX_PER_MEMBER):
        submit(assembly, title=f"Antrag {n}", submitter=karl.contact, by_member=True)
    client, base = phone(karl)
    response = client.post(f"{base}motions/", {"action": "submit", "title": "Einer zu viel",
                                               "text": "Text"})
    assert response.status_code == 200
    assert "the most one member can submit" in response.content.decode()
    assert Motion.objects.count() == motions.MAX_PER_MEMBER
