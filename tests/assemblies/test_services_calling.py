"""Calling an assembly: the statutes, creating and changing an assembly, the lead time, who is
eligible to vote, the list of voters, guests and the agenda."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from mitmachen.assemblies import services
from mitmachen.assemblies.models import (
    AgendaItem,
    Assembly,
    AssemblyRules,
    Participant,
    SpeakerRequest,
)
from mitmachen.core.models import AuditEntry
from mitmachen.events import services as events
from mitmachen.events.models import Event
from mitmachen.people import services as people
from mitmachen.people.gdpr import contact_erase
from mitmachen.people.models import Contact

from .conftest import member

pytestmark = pytest.mark.django_db


def text(exc: pytest.ExceptionInfo) -> str:
    with translation.override("en"):
        return " ".join(str(m) for m in exc.value.messages)


def assembly_event(world, days=30, kind=Event.Kind.ASSEMBLY, organisation=None):
    start = timezone.now() + timedelta(days=days)
    return events.event_create(organisation=organisation or world.kassel, title="KMV",
                               kind=kind, starts_at=start, actor=None)


# --- the statutes ----------------------------------------------------------------------------

def test_rules_default_until_set_then_saved_and_audited(world):
    rules = services.rules_for(world.kassel)
    assert rules.pk is None and rules.lead_days == 21
    saved = services.rules_update(organisation=world.kassel, actor=world.users["kassel_board"],
                                  data={"lead_days": 14, "quorum_kind": "absolute",
                                        "quorum_value": 12})
    assert saved.pk and services.rules_for(world.kassel).lead_days == 14
    services.rules_update(organisation=world.kassel, actor=world.users["kassel_board"],
                          data={"lead_days": 28})
    rules = AssemblyRules.objects.get(organisation=world.kassel)
    assert (rules.lead_days, rules.quorum_value) == (28, 12)
    assert AuditEntry.objects.filter(object_type="assemblies.assemblyrules",
                                     organisation=world.kassel).count() == 2


@pytest.mark.parametrize("data", [
    {"quorum_kind": "share", "quorum_value": 101},
    {"lead_days": 366},
    {"speaking_seconds": 5},
    {"quorum_kind": "most"},
])
def test_bad_rules_are_refused_and_nothing_changes(world, data):
    services.rules_update(organisation=world.kassel, actor=None, data={"lead_days": 21})
    with pytest.raises(ValidationError):
        services.rules_update(organisation=world.kassel, actor=None, data=data)
    rules = AssemblyRules.objects.get(organisation=world.kassel)
    assert (rules.lead_days, rules.quorum_kind, rules.speaking_seconds) == (21, "none", 180)


def test_an_assembly_copies_the_rules_and_keeps_them(world):
    services.rules_update(organisation=world.kassel, actor=None,
                          data={"lead_days": 28, "alternate": False})
    assembly = services.assembly_create(event=assembly_event(world), actor=None)
    services.rules_update(organisation=world.kassel, actor=None, data={"lead_days": 7})
    assembly.refresh_from_db()
    assert (assembly.lead_days, assembly.alternate) == (28, False)
    # The reference date defaults to the day of the assembly.
    assert assembly.reference_date == timezone.localdate(assembly.event.starts_at)


# --- creating and changing -------------------------------------------------------------------

def test_assembly_create_refuses_another_kind_of_event(world):
    event = assembly_event(world, kind=Event.Kind.MEETING)
    with pytest.raises(ValidationError) as exc, translation.override("en"):
        services.assembly_create(event=event, actor=None)
    assert "assembly" in text(exc)
    assert not Assembly.objects.exists()


def test_assembly_create_refuses_the_same_event_twice(world):
    event = assembly_event(world)
    services.assembly_create(event=event, actor=None)
    with pytest.raises(ValidationError) as exc, translation.override("en"):
        services.assembly_create(event=event, actor=None)
    assert "already" in text(exc)
    assert Assembly.objects.count() == 1


def test_assembly_create_refuses_a_chair_of_another_organisation(world):
    with pytest.raises(ValidationError) as exc:
        services.assembly_create(event=assembly_event(world), actor=None,
                                 chair=world.users["duesseldorf_board"])
    assert "chair" in exc.value.message_dict
    assert not Assembly.objects.exists()


def test_assembly_update_validates_and_audits(assembly, world):
    board = world.users["kassel_board"]
    services.assembly_update(assembly=assembly, actor=board, data={
        "chair": world.users["kassel_events"], "invitation_text": "Liebe Genoss*innen"})
    assembly.refresh_from_db()
    assert assembly.chair == world.users["kassel_events"]
    assert AuditEntry.objects.filter(object_type="assemblies.assembly",
                                     object_id=str(assembly.pk), action="update").exists()
    for data in [{"invitation_text": "a\x00b"},
                 {"minute_taker": world.users["duesseldorf_member"]}]:
        with pytest.raises(ValidationError):
            services.assembly_update(assembly=Assembly.objects.get(pk=assembly.pk),
                                     actor=board, data=data)
    assembly.refresh_from_db()
    assert assembly.invitation_text == "Liebe Genoss*innen" and assembly.minute_taker is None


def test_a_closed_assembly_cannot_change(assembly):
    services.status_change(assembly=assembly, status=Assembly.Status.IN_SESSION, actor=None)
    services.status_change(assembly=assembly, status=Assembly.Status.CLOSED, actor=None)
    assembly.refresh_from_db()
    with pytest.raises(ValidationError):
        services.assembly_update(assembly=assembly, actor=None, data={"invitation_text": "x"})
    with pytest.raises(ValidationError):
        services.voters_build(assembly=assembly, actor=None)
    with pytest.raises(ValidationError):  # no way back
        services.status_change(assembly=assembly, status=Assembly.Status.IN_SESSION,
                               actor=None)


def test_status_goes_forward_only(assembly):
    services.status_change(assembly=assembly, status=Assembly.Status.INVITED, actor=None)
    with pytest.raises(ValidationError):
        services.status_change(assembly=assembly, status=Assembly.Status.PREPARING, actor=None)
    opened = services.status_change(assembly=assembly, status=Assembly.Status.IN_SESSION,
                                    actor=None)
    assert opened.opened_at is not None


# --- lead time -------------------------------------------------------------------------------

def _days_before_start(assembly, days):
    """The same wall-clock time `days` calendar days before the start (DST-proof)."""
    return timezone.localtime(assembly.event.starts_at) - timedelta(days=days)


def test_lead_time_kept_on_the_last_day_and_broken_the_day_after(assembly):
    assert assembly.lead_days == 21
    assert services.lead_time_problem(assembly, at=_days_before_start(assembly, 22)) == ""
    assert services.lead_time_problem(assembly, at=_days_before_start(assembly, 21)) == ""
    with translation.override("en"):
        problem = services.lead_time_problem(assembly, at=_days_before_start(assembly, 20))
    by = _days_before_start(assembly, 21).strftime("%d.%m.%Y")
    assert "20 days" in problem and "21 days" in problem and by in problem


def test_lead_time_after_the_date_counts_zero_days(assembly):
    with translation.override("en"):
        problem = services.lead_time_problem(
            assembly, at=timezone.localtime(assembly.event.starts_at) + timedelta(days=2))
    assert problem.startswith("Invited 0 days ahead")


def test_lead_time_is_judged_by_the_last_invitation(assembly):
    from mitmachen.assemblies.models import Invitation
    from tests.assemblies.conftest import voter

    # Asked about a moment: that moment counts.
    assert services.lead_time_problem(assembly, at=_days_before_start(assembly, 10))
    assert services.lead_time_problem(assembly, at=_days_before_start(assembly, 25)) == ""
    # Otherwise the last invitation that went out: one member invited late makes it late.
    assembly.invited_at = _days_before_start(assembly, 25)
    Invitation.objects.create(participant=voter(assembly, "Rosa"), kind="invitation",
                              channel="email", address="rosa@example.org",
                              content_sha256="0" * 64,
                              created_at=_days_before_start(assembly, 25))
    assert services.lead_time_problem(assembly) == ""
    Invitation.objects.create(participant=voter(assembly, "Karl"), kind="invitation",
                              channel="email", address="karl@example.org",
                              content_sha256="0" * 64,
                              created_at=_days_before_start(assembly, 10))
    assert services.lead_time_problem(assembly)


def test_lead_time_now_for_an_assembly_too_near(make_assembly):
    assert services.lead_time_problem(make_assembly(days=30)) == ""
    assert services.lead_time_problem(make_assembly(days=10, title="Sondersitzung"))


# --- who may vote ----------------------------------------------------------------------------

def eligible_names(organisation, on):
    return set(services.eligible_contacts(organisation, on).values_list("first_name",
                                                                          flat=True))


def test_eligible_contacts_on_the_reference_date(world):
    today = date.today()
    k = world.kassel
    member(k, "Anna", "Mitglied")  # member since today
    late = people.contact_create(organisation=k, actor=None, data={"first_name": "Ben"})
    people.status_change(contact=late, to_status="member", actor=None,
                         on=today + timedelta(days=5))
    gone = member(k, "Cem", "Ausgetreten")
    people.status_change(contact=gone, to_status="former", actor=None, reason="Umzug",
                         on=today)
    leaving = member(k, "Dora", "Später")
    people.status_change(contact=leaving, to_status="former", actor=None, reason="Umzug",
                         on=today + timedelta(days=5))
    erased = member(k, "Eva", "Gelöscht")
    contact_erase(contact=erased, actor=None)
    people.contact_create(organisation=k, actor=None, data={"first_name": "Finn"})
    member(world.duesseldorf, "Gül", "Düsseldorf")
    imported = member(k, "Hanna", "Importiert")
    imported.status_changes.all().delete()  # a member imported without any history

    assert eligible_names(k, today) == {"Anna", "Dora", "Hanna"}
    # Ben joined after the day; Dora left after it, and counts until she left.
    assert eligible_names(k, today + timedelta(days=10)) == {"Anna", "Ben", "Hanna"}
    assert eligible_names(k, today - timedelta(days=1)) == set()
    assert eligible_names(world.duesseldorf, today) == {"Gül"}


def test_voters_build_is_idempotent_and_adds_new_members(assembly, world):
    assert assembly.participants.filter(kind="voter").count() == 6
    assert services.voters_build(assembly=assembly, actor=None) == 0
    assert assembly.participants.count() == 6
    member(world.kassel, "Lotte", "Neu", "flinta")
    assert services.voters_build(assembly=assembly, actor=None) == 1
    lotte = assembly.participants.get(name="Lotte Neu")
    assert (lotte.kind, lotte.quota_category) == ("voter", "flinta")
    assert services.voters_build(assembly=assembly, actor=None) == 0
    assert assembly.participants.count() == 7


def test_voters_build_takes_no_one_of_another_organisation(make_assembly, world):
    duesseldorf = make_assembly(organisation=world.duesseldorf, members=[
        ("Gül", "Yilmaz", "flinta", "", "")])
    assert list(duesseldorf.participants.values_list("name", flat=True)) == ["Gül Yilmaz"]


# --- guests ----------------------------------------------------------------------------------

def test_guest_add(assembly, world):
    guest = services.guest_add(assembly=assembly, name="  Mira Gast ", actor=None,
                               quota_category="flinta")
    assert (guest.kind, guest.name, guest.contact) == ("guest", "Mira Gast", None)
    contact = people.contact_create(organisation=world.kassel, actor=None,
                                    data={"first_name": "Ole", "last_name": "Interessiert",
                                          "quota_category": "open"})
    named = services.guest_add(assembly=assembly, name="", contact=contact, actor=None)
    assert (named.name, named.quota_category) == ("Ole Interessiert", "open")


@pytest.mark.parametrize("name,quota", [("", ""), ("   ", ""), ("x" * 201, ""),
                                        ("Mi\x00ra", ""), ("Mira", "men")])
def test_guest_add_refuses_bad_input(assembly, name, quota):
    with pytest.raises(ValidationError):
        services.guest_add(assembly=assembly, name=name, quota_category=quota, actor=None)
    assert not assembly.participants.filter(kind="guest").exists()


def test_guest_add_refuses_a_contact_of_another_organisation(assembly, world):
    stranger = member(world.duesseldorf, "Gül", "Yilmaz")
    with pytest.raises(ValidationError):
        services.guest_add(assembly=assembly, name="", contact=stranger, actor=None)
    assert not assembly.participants.filter(kind="guest").exists()


# --- the agenda ------------------------------------------------------------------------------

def titles(assembly, parent=None):
    return list(AgendaItem.objects.filter(assembly=assembly, parent=parent)
                .values_list("title", flat=True))


def test_items_are_numbered_in_order_with_sub_items(assembly):
    from mitmachen.assemblies.selectors import agenda

    opening = services.item_create(assembly=assembly, title="Eröffnung", actor=None)
    reports = services.item_create(assembly=assembly, title="Berichte", actor=None)
    services.item_create(assembly=assembly, title="Kassenbericht", parent=reports, actor=None)
    services.item_create(assembly=assembly, title="Bericht des Vorstands", parent=reports,
                         actor=None)
    assert [(n, i.title) for n, i in agenda(assembly)] == [
        ("1", "Eröffnung"), ("2", "Berichte"), ("2.1", "Kassenbericht"),
        ("2.2", "Bericht des Vorstands")]
    with pytest.raises(ValidationError):  # no third level
        services.item_create(assembly=assembly, title="Tiefer",
                             parent=reports.children.first(), actor=None)
    assert opening.position == 1


def test_item_create_refuses_a_parent_of_another_assembly(assembly, make_assembly):
    other = make_assembly(title="Andere", members=[])
    foreign = services.item_create(assembly=other, title="Fremd", actor=None)
    with pytest.raises(ValidationError):
        services.item_create(assembly=assembly, title="Unter", parent=foreign, actor=None)
    assert not assembly.items.exists()


def test_item_move_swaps_with_its_neighbour_among_siblings(assembly):
    a, b, c = (services.item_create(assembly=assembly, title=t, actor=None) for t in "ABC")
    sub = services.item_create(assembly=assembly, title="B1", parent=b, actor=None)
    services.item_move(item=c, direction=-1, actor=None)
    assert titles(assembly) == ["A", "C", "B"]
    services.item_move(item=a, direction=-1, actor=None)  # already first: nothing moves
    services.item_move(item=b, direction=1, actor=None)  # already last
    assert titles(assembly) == ["A", "C", "B"]
    services.item_move(item=sub, direction=-1, actor=None)  # alone among its siblings
    assert titles(assembly, parent=b) == ["B1"]
    assert [i.position for i in AgendaItem.objects.filter(assembly=assembly, parent=None)] == [
        1, 2, 3]


def test_item_update_refuses_making_a_parent_a_sub_item(assembly):
    a = services.item_create(assembly=assembly, title="A", actor=None)
    b = services.item_create(assembly=assembly, title="B", actor=None)
    services.item_create(assembly=assembly, title="B1", parent=b, actor=None)
    with pytest.raises(ValidationError):
        services.item_update(item=AgendaItem.objects.get(pk=b.pk), data={"parent": a},
                             actor=None)
    with pytest.raises(ValidationError):
        services.item_update(item=AgendaItem.objects.get(pk=a.pk), data={"parent": a},
                             actor=None)
    assert AgendaItem.objects.get(pk=b.pk).parent is None


def test_item_delete_refuses_an_item_with_speakers(assembly):
    item = services.item_create(assembly=assembly, title="Aussprache", actor=None)
    SpeakerRequest.objects.create(item=item, participant=assembly.participants.first(),
                                  category="flinta", requested_at=timezone.now())
    with pytest.raises(ValidationError):
        services.item_delete(item=item, actor=None)
    assert AgendaItem.objects.filter(pk=item.pk).exists()
    empty = services.item_create(assembly=assembly, title="Verschiedenes", actor=None)
    services.item_delete(item=empty, actor=None)
    assert titles(assembly) == ["Aussprache"]


def test_item_call_makes_one_current_and_the_previous_done(assembly, make_assembly):
    a = services.item_create(assembly=assembly, title="A", actor=None)
    b = services.item_create(assembly=assembly, title="B", actor=None)
    with pytest.raises(ValidationError):  # items are called in session only
        services.item_call(assembly=assembly, item=a, actor=None)
    services.status_change(assembly=assembly, status="in_session", actor=None)
    version = Assembly.objects.get(pk=assembly.pk).live_version
    services.item_call(assembly=assembly, item=a, actor=None)
    services.item_call(assembly=assembly, item=b, actor=None)
    assembly.refresh_from_db()
    assert assembly.current_item == b and assembly.live_version > version
    statuses = dict(AgendaItem.objects.filter(assembly=assembly).values_list("title", "status"))
    assert statuses == {"A": "done", "B": "current"}
    other = make_assembly(title="Andere", members=[])
    foreign = services.item_create(assembly=other, title="Fremd", actor=None)
    with pytest.raises(ValidationError):
        services.item_call(assembly=assembly, item=foreign, actor=None)
    assert Assembly.objects.get(pk=assembly.pk).current_item == b
    services.item_call(assembly=assembly, item=None, actor=None)
    assert Assembly.objects.get(pk=assembly.pk).current_item is None
    assert AgendaItem.objects.get(pk=b.pk).status == "done"


def test_participant_is_not_listed_twice(assembly):
    contact = Contact.objects.get(first_name="Rosa")
    with pytest.raises(ValidationError):
        services.guest_add(assembly=assembly, name="", contact=contact, actor=None)
    assert assembly.participants.filter(contact=contact).count() == 1
    assert Participant.objects.filter(assembly=assembly).count() == 6
