"""Demo contacts: a few hundred invented people per organisation (Faker, de_DE)."""

import random
import unicodedata
from datetime import date, timedelta

from django.db import transaction

from mitmachen.core import services as core_services
from mitmachen.groups.models import Group, GroupMember
from mitmachen.groups.services import group_propose, join_request_create
from mitmachen.organisations.models import Organisation
from mitmachen.people import applications, services
from mitmachen.people.models import Consent, Contact, StatusChange

PER_ORGANISATION = {"die-linke-kassel": 400, "die-linke-duesseldorf": 250,
                    "paritaet-weimar": 150, "spd-kassel": 300, "rls-niedersachsen": 200}
STATUS_MIX = [Contact.Status.MEMBER] * 6 + [Contact.Status.INTERESTED] * 3 + [
    Contact.Status.SUPPORTER, Contact.Status.FORMER]
MEMBER_LOGIN = "mitglied.kassel@example.org"


def ascii_address(address: str) -> str:
    """"zänker@…" → "zaenker@…": mail servers without SMTPUTF8 refuse non-ASCII local parts."""
    folded = address.lower().replace(" ", "")
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        folded = folded.replace(umlaut, plain)
    return unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()


class DemoPeople:
    def __init__(self, fake, actor):
        self.fake = fake
        self.actor = actor
        self.random = random.Random(2026)  # noqa: S311  (demo data, not security)

    @transaction.atomic
    def load(self) -> None:
        for slug, count in PER_ORGANISATION.items():
            organisation = Organisation.objects.get(slug=slug)
            self.contacts(organisation, count)
        self.kassel_life()

    def contacts(self, organisation, count: int) -> None:
        districts = list(organisation.municipality.districts.all()) \
            if organisation.municipality_id else []
        people = []
        for n in range(count):
            status = self.random.choice(STATUS_MIX)
            flinta = self.random.random() < 0.5
            # Names that fit the quota category, so quota lists in the demo read plausibly.
            first = self.fake.first_name_female() if flinta else self.fake.first_name_male()
            last = self.fake.last_name()
            people.append(Contact(
                organisation=organisation, first_name=first, last_name=last,
                email=ascii_address(f"{first}.{last}.{n}@example.org"),
                phone=f"+49561{self.random.randint(1000000, 9999999)}"
                if self.random.random() < 0.6 else "",
                messenger_phone=f"+49151{self.random.randint(1000000, 9999999)}"
                if self.random.random() < 0.4 else "",
                street=self.fake.street_address(), postcode=self.fake.postcode(),
                city=organisation.municipality.name if organisation.municipality_id else
                self.fake.city(),
                district=self.random.choice(districts) if districts else None,
                quota_category=Contact.Quota.FLINTA if flinta else Contact.Quota.OPEN,
                pronouns=self.random.choice(["sie/ihr", "they/them", ""] if flinta
                                            else ["er/ihm", ""]),
                birthday=date(1950, 1, 1) + timedelta(days=self.random.randint(0, 20000)),
                status=status,
                membership_number=f"{organisation.pk}-{n + 1:05d}"
                if status in {Contact.Status.MEMBER, Contact.Status.FORMER} else "",
            ))
        created = Contact.objects.bulk_create(people)
        if created and created[0].pk is None:
            created = list(Contact.objects.filter(organisation=organisation))
        StatusChange.objects.bulk_create([
            StatusChange(contact=c, to_status=c.status, reason="demo",
                         date=date.today() - timedelta(days=self.random.randint(0, 2000)))
            for c in created])
        Consent.objects.bulk_create([
            Consent(contact=c, channel=channel, purpose=Consent.Purpose.INVITATIONS,
                    granted=True, source=Consent.Source.FORM, text_version="demo")
            for c in created for channel in (Consent.Channel.EMAIL, Consent.Channel.POST)
            if c.status == Contact.Status.MEMBER and self.random.random() < 0.8])
        groups = list(Group.objects.filter(organisation=organisation))
        GroupMember.objects.bulk_create([
            GroupMember(group=group, contact=c,
                        role=GroupMember.Role.COORDINATOR if self.random.random() < 0.05
                        else GroupMember.Role.MEMBER)
            for c in created for group in self.random.sample(groups, min(2, len(groups)))
            if groups and self.random.random() < 0.5 and group.status != Group.Status.FOUNDING
        ], ignore_conflicts=True)

    def kassel_life(self) -> None:
        """Work waiting for the Kassel board and coordinators, and a member who can log in."""
        kassel = Organisation.objects.get(slug="die-linke-kassel")
        member = services.contact_create(organisation=kassel, actor=self.actor, data={
            "first_name": self.fake.first_name(), "last_name": self.fake.last_name(),
            "email": MEMBER_LOGIN, "pronouns": "sie/ihr"}, status=Contact.Status.MEMBER)
        user = core_services.user_create(email=MEMBER_LOGIN, name=member.full_name,
                                         password="mitmachen-demo", actor=self.actor)  # noqa: S106
        member.user = user
        member.save(update_fields=["user"])
        plenum = Group.objects.get(organisation=kassel, name="Offenes FLINTA* Plenum")
        interested = Contact.objects.filter(organisation=kassel,
                                            status=Contact.Status.INTERESTED)[:3]
        for contact in interested:
            join_request_create(group=plenum, contact=contact, actor=self.actor,
                                message="Ich würde gern dazukommen.")
        group_propose(contact=member, name="AG Wohnen und Mieten", kind="working_group",
                      description="Mieter*innen in den Stadtteilen vernetzen.", actor=self.actor)
        for n in range(2):
            application, token = applications.application_submit(
                organisation=kassel, message="Ich möchte Mitglied werden.", consents=[],
                data={"first_name": self.fake.first_name(), "last_name": self.fake.last_name(),
                      "email": f"antrag{n}@example.org", "street": self.fake.street_address(),
                      "postcode": "34117", "city": "Kassel"})
            applications.application_confirm(token=token)
