from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mitmachen.core.models import AuditEntry
from mitmachen.people import selectors, services
from mitmachen.people.models import Consent, ConsentRequest, Contact, StatusChange

pytestmark = pytest.mark.django_db
C = Consent.Channel
P = Consent.Purpose


@pytest.fixture
def anna(world):
    return services.contact_create(organisation=world.kassel, actor=None, data={
        "first_name": "Anna", "last_name": "Beispiel", "email": "Anna@Example.org",
        "phone": "0561 9201500", "messenger_phone": "+49 151 23456789", "street": "Weg 1"})


def test_contact_phone_is_stored_in_e164(anna):
    assert anna.phone == "+495619201500"
    assert anna.messenger_phone == "+4915123456789"
    assert anna.email == "anna@example.org"


@pytest.mark.parametrize("data", [
    {"first_name": ""}, {"first_name": "x" * 101}, {"first_name": "A\x00"},
    {"first_name": "A", "phone": "12"}, {"first_name": "A", "phone": "keine Nummer"},
    {"first_name": "A", "email": "kaputt"}, {"first_name": "A", "quota_category": "men"},
    {"first_name": "A", "birthday": "gestern"},
])
def test_bad_contact_data_changes_nothing(world, data):
    with pytest.raises(ValidationError):
        services.contact_create(organisation=world.kassel, data=data, actor=None)
    assert not Contact.objects.exists()


def test_district_must_be_the_organisations(world):
    from mitmachen.organisations.models import District, Municipality

    other = District.objects.create(municipality=Municipality.objects.create(
        name="Weimar", slug="weimar"), name="Altstadt", slug="altstadt")
    with pytest.raises(ValidationError):
        services.contact_create(organisation=world.kassel, actor=None,
                                data={"first_name": "A", "district": other})


def test_membership_lifecycle_keeps_its_history(world, anna):
    board = world.users["kassel_board"]
    services.status_change(contact=anna, to_status="applicant", actor=board)
    services.status_change(contact=anna, to_status="member", actor=board,
                           membership_number="KS-0001")
    services.status_change(contact=anna, to_status="former", actor=board, reason="Umzug")
    assert anna.status == "former" and anna.membership_number == "KS-0001"
    steps = list(StatusChange.objects.filter(contact=anna).order_by("id")
                 .values_list("from_status", "to_status"))
    assert steps == [("", "interested"), ("interested", "applicant"), ("applicant", "member"),
                     ("member", "former")]
    assert StatusChange.objects.get(to_status="former").reason == "Umzug"
    assert AuditEntry.objects.filter(object_id=str(anna.pk), action="update").count() == 3


def test_forbidden_steps_and_missing_reason_change_nothing(world, anna):
    with pytest.raises(ValidationError):
        services.status_change(contact=anna, to_status="former", actor=None, reason="x")
    services.status_change(contact=anna, to_status="member", actor=None)
    with pytest.raises(ValidationError):
        services.status_change(contact=anna, to_status="former", actor=None)  # no reason
    with pytest.raises(ValidationError):
        services.status_change(contact=anna, to_status="emperor", actor=None)
    anna.refresh_from_db()
    assert anna.status == "member"


def test_membership_numbers_are_unique_per_organisation(world, anna):
    services.status_change(contact=anna, to_status="member", actor=None, membership_number="7")
    bert = services.contact_create(organisation=world.kassel, data={"first_name": "Bert"},
                                   actor=None)
    with pytest.raises(ValidationError):
        services.status_change(contact=bert, to_status="member", actor=None,
                               membership_number="7")
    other = services.contact_create(organisation=world.duesseldorf, data={"first_name": "C"},
                                    actor=None)
    services.status_change(contact=other, to_status="member", actor=None, membership_number="7")


def test_email_needs_double_opt_in_unless_member(world, anna):
    services.consent_record(contact=anna, channel=C.EMAIL, purpose=P.INVITATIONS, granted=True,
                            source="form", text_version="v1", actor=None)
    assert anna not in selectors.reachable(world.kassel, C.EMAIL, P.INVITATIONS)
    request, token = services.consent_request_create(
        contact=anna, channel=C.EMAIL, purpose=P.INVITATIONS, text_version="v1", actor=None)
    services.consent_confirm(token=token)
    services.consent_confirm(token=token)  # a second click changes nothing
    assert list(selectors.reachable(world.kassel, C.EMAIL, P.INVITATIONS)) == [anna]
    assert Consent.objects.filter(contact=anna, source="double_opt_in").count() == 1


def test_withdrawal_wins_and_post_needs_an_address(world, anna):
    for granted in (True, False):
        services.consent_record(contact=anna, channel=C.SIGNAL, purpose=P.DISTRIBUTION_LIST,
                                granted=granted, source="staff", text_version="v1", actor=None)
    assert anna not in selectors.reachable(world.kassel, C.SIGNAL, P.DISTRIBUTION_LIST)
    bert = services.contact_create(organisation=world.kassel, data={"first_name": "Bert"},
                                   actor=None)
    services.consent_record(contact=bert, channel=C.POST, purpose=P.INVITATIONS, granted=True,
                            source="staff", text_version="v1", actor=None)
    assert bert not in selectors.reachable(world.kassel, C.POST, P.INVITATIONS)


def test_expired_or_unknown_opt_in_links_are_refused(world, anna):
    request, token = services.consent_request_create(
        contact=anna, channel=C.EMAIL, purpose=P.NEWSLETTER, text_version="v1", actor=None)
    ConsentRequest.objects.filter(pk=request.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    for bad in [token, "nonsense", "", "x" * 500]:
        with pytest.raises(ValidationError):
            services.consent_confirm(token=bad)
    assert not Consent.objects.exists()


def test_reachable_never_crosses_organisations(world, anna):
    services.status_change(contact=anna, to_status="member", actor=None)
    services.consent_record(contact=anna, channel=C.EMAIL, purpose=P.INVITATIONS, granted=True,
                            source="staff", text_version="v1", actor=None)
    assert not selectors.reachable(world.duesseldorf, C.EMAIL, P.INVITATIONS).exists()


# Property: for any history of grants and withdrawals, `reachable` says what the rule says.
event = st.tuples(st.sampled_from([C.EMAIL, C.POST, C.SIGNAL]),
                  st.sampled_from([P.INVITATIONS, P.NEWSLETTER]), st.booleans(),
                  st.sampled_from(list(Consent.Source)),
                  st.booleans())  # was the confirmed address the current one?


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=st.lists(event, max_size=8), member=st.booleans(),
       has_street=st.booleans())
def test_reachable_matches_the_rule(world, django_db_blocker, history, member, has_street):
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        contact = services.contact_create(organisation=world.kassel, actor=None, data={
            "first_name": "P", "email": "p@example.org", "messenger_phone": "+4915123456789",
            "street": "Weg 1" if has_street else ""},
            status="member" if member else "interested")
        for channel, purpose, granted, source, current in history:
            services.consent_record(contact=contact, channel=channel, purpose=purpose,
                                    granted=granted, source=source, text_version="v",
                                    actor=None,
                                    address="p@example.org" if current else "old@example.org")
        for channel in [C.EMAIL, C.POST, C.SIGNAL]:
            for purpose in [P.INVITATIONS, P.NEWSLETTER]:
                last = [h for h in history if h[0] == channel and h[1] == purpose][-1:]
                expected = bool(last) and last[0][2]
                if channel == C.EMAIL and not member:
                    expected = expected and last[0][3] == Consent.Source.DOUBLE_OPT_IN \
                        and last[0][4]
                if channel == C.POST:
                    expected = expected and has_street
                got = selectors.reachable(world.kassel, channel, purpose).filter(
                    pk=contact.pk).exists()
                assert got is expected, (channel, purpose, history)
        transaction.set_rollback(True)


def test_search_by_fragment_of_name_email_and_phone(world, anna):
    services.contact_create(organisation=world.duesseldorf, actor=None, data={
        "first_name": "Anna", "last_name": "Fremd", "email": "anna@duesseldorf.example.org"})
    for text in ["anna", "Beisp", "example.org", "0561 920", "9201500", "Anna Beispiel"]:
        assert list(selectors.search(world.kassel, text=text)) == [anna], text
    assert not selectors.search(world.kassel, text="Fremd").exists()


def test_changing_the_address_needs_a_new_opt_in(world, anna):
    _r, token = services.consent_request_create(
        contact=anna, channel=C.EMAIL, purpose=P.NEWSLETTER, text_version="v1", actor=None)
    services.consent_confirm(token=token)
    assert anna in selectors.reachable(world.kassel, C.EMAIL, P.NEWSLETTER)
    services.contact_update(contact=anna, data={"email": "neu@example.org"}, actor=None)
    assert anna not in selectors.reachable(world.kassel, C.EMAIL, P.NEWSLETTER)
