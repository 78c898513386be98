"""Demo data: the five organisations of the seeds with their real structures, invented people.

Safe to run twice: an organisation that exists already is left as it is.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib.resources import files
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.text import slugify
from faker import Faker

from mitmachen.core import services as core_services
from mitmachen.core.models import User
from mitmachen.core.roles import Role
from mitmachen.events.models import Event, Question
from mitmachen.events.registrations import registration_create
from mitmachen.events.series import series_create
from mitmachen.events.services import (
    access_set,
    event_create,
    event_update,
    question_add,
    speaker_add,
    topic_create,
)
from mitmachen.groups.models import Group
from mitmachen.groups.services import group_create
from mitmachen.organisations import services as org
from mitmachen.organisations.models import Municipality, Organisation, Place

DEMO_PASSWORD = "mitmachen-demo"  # noqa: S105  (printed on purpose: demo only)
BERLIN = ZoneInfo("Europe/Berlin")
Kind, Level = Organisation.Kind, Organisation.Level

# (e-mail, organisation slug, role); the names are invented by Faker.
DEMO_LOGINS = [
    ("vorstand.kassel@example.org", "die-linke-kassel", Role.BOARD),
    ("gruppen.kassel@example.org", "die-linke-kassel", Role.GROUP_COORDINATOR),
    ("veranstaltungen.kassel@example.org", "die-linke-kassel", Role.EVENT_ORGANISER),
    ("sprechstunde.kassel@example.org", "die-linke-kassel", Role.CONSULTATION_STAFF),
    ("kasse.kassel@example.org", "die-linke-kassel", Role.TREASURER),
    ("admin.kassel@example.org", "die-linke-kassel", Role.ADMINISTRATOR),
    ("landesvorstand.hessen@example.org", "die-linke-hessen", Role.BOARD),
    ("vorstand.duesseldorf@example.org", "die-linke-duesseldorf", Role.BOARD),
    ("mentoring.duesseldorf@example.org", "die-linke-duesseldorf", Role.MENTORING_COORDINATOR),
    ("antidiskriminierung.duesseldorf@example.org", "die-linke-duesseldorf",
     Role.ANTIDISCRIMINATION_OFFICER),
    ("admin.duesseldorf@example.org", "die-linke-duesseldorf", Role.ADMINISTRATOR),
    ("veranstaltungen.rls@example.org", "rls-niedersachsen", Role.EVENT_ORGANISER),
    ("vorstand.weimar@example.org", "paritaet-weimar", Role.BOARD),
    ("vorstand.spd-kassel@example.org", "spd-kassel", Role.BOARD),
]

KASSEL_ABOUT = (
    "Eine Partei lebt von und mit ihren Mitgliedern. Unter dem Motto „Mitmachen“ kann man und "
    "frau sich bei uns einmischen und aktiv werden für eine sozial gerechte, demokratische und "
    "friedliche Gesellschaft. Wir wollen gemeinsam mit und nicht nur für Menschen Politik "
    "machen.\n\nDie Kreismitgliederversammlung trifft sich mehrmals im Jahr. Die Einladungen "
    "gehen per Post und Mail etwa drei Wochen vorher an die Genoss*innen raus. Einmal im Jahr "
    "wählt und entlastet sie den Vorstand."
)
KASSEL_JOIN = (
    "Willst Du Kontakt zu einer der Gruppen oder eine eigene gründen? Dann schreib dem Vorstand."
    "\n\nWenn Du als Mitglied mit eigenen Veranstaltungs- und Aktionsideen aktiv werden "
    "möchtest, unterstützt Dich der Vorstand inhaltlich, organisatorisch und finanziell.\n\n"
    "Sozialsprechstunden bei Problemen mit Rente, BAföG, ALG I und II finden mittwochs im "
    "Parteibüro statt; Anmeldung auch telefonisch."
)
WEIMAR_MEMBERS_NAMED = [
    "Für Schloss Tonndorf e. V.", "Thüringer Ökoherz e. V.", "Camsin e. V.", "Distanz e. V.",
]
WEIMAR_MEMBER_KINDS = [
    "Nachbarschaftshilfe", "Familienzentrum", "Seniorenbüro", "Jugendwerkstatt",
    "Selbsthilfekontaktstelle", "Begegnungsstätte", "Kulturverein", "Wohnprojekt",
]
WEIMAR_TOWNS = ["Weimar", "Apolda", "Bad Berka", "Blankenhain"]
RLS_TOPICS = ["Partizipation / Bürgerrechte", "Stadt / Kommune / Region",
              "Politische Weiterbildung", "Migration / Flucht"]
# Seed 002: the Kreisgruppe's meeting plan, with its tentative venue and the summer festival.
WEIMAR_PLAN = [
    ((2, 12), 13, 16, "Sozialraumorientiertes Arbeiten", "Frauenzentrum", "", "confirmed",
     ("Stephan Panhans", "Kompetenzzentrum für Strategische Sozialplanung der LIGA Thüringen")),
    ((4, 22), 14, 16, "Austausch und Besuch bei „Für Schloss Tonndorf e. V.“",
     "Schloss Tonndorf", "", "confirmed", None),
    ((6, 10), 14, 17, "Sommerfest mit Ehrenamtsauszeichnung", "Camsin e. V.",
     "voraussichtlich", "tentative", None),
    ((10, 14), 14, 16, "Weimar-spezifische Entwicklungen", "Distanz e. V.", "", "confirmed",
     None),
    ((12, 16), 14, 16, "Jahresabschluss, Termin- und Themenplanung", None,
     "Ort wird noch festgelegt", "planned", None),
]
SPD_NAMED_CENTRES = [
    "Südstadt", "Wesertor", "Vorderer Westen", "Unterneustadt", "Jungfernkopf", "Rothenditmold",
    "Oberzwehren",
]


def _at(day: datetime, hour: int, minute: int = 0) -> datetime:
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0, tzinfo=BERLIN)


def _next_weekday(start: datetime, weekday: int, weeks: int = 0) -> datetime:
    days = (weekday - start.weekday()) % 7 or 7
    return start + timedelta(days=days + 7 * weeks)


class DemoLoader:
    def __init__(self, today: datetime | None = None, out=None):
        self.fake = Faker("de_DE")
        self.fake.seed_instance(2026)
        self.today = (today or datetime.now(BERLIN)).replace(tzinfo=None)
        self.out = out
        self.actor = None

    def say(self, text: str) -> None:
        if self.out:
            self.out(text)

    def organisation(self, slug, name, kind, level, parent=None, **profile) -> Organisation:
        existing = Organisation.objects.filter(slug=slug).first()
        if existing:
            return existing
        return org.organisation_create(name=name, slug=slug, kind=kind, level=level,
                                       parent=parent, actor=self.actor, **profile)

    @transaction.atomic
    def load(self) -> None:
        # Each step has its own marker, so a later version adds what an earlier one lacked.
        if not Organisation.objects.filter(slug="die-linke-kassel").exists():
            kassel_town = self.kassel_districts()
            self.linke(kassel_town)
            self.rls()
            self.paritaet()
            self.spd(kassel_town)
            self.logins()
            self.say("Demo organisations loaded.")
        from mitmachen.people.models import Contact

        if not Contact.objects.filter(organisation__slug="die-linke-kassel").exists():
            from mitmachen.core.demo_people import DemoPeople

            DemoPeople(self.fake, self.actor).load()
            self.say("Demo contacts loaded.")
        from mitmachen.assemblies.models import Assembly

        if not Assembly.objects.filter(organisation__slug="die-linke-kassel").exists():
            from mitmachen.assemblies.demo import DemoAssemblies

            DemoAssemblies(self.actor).load()
            self.say("Demo assemblies loaded.")
        from mitmachen.reports.models import Report

        if not Report.objects.filter(organisation__slug="die-linke-duesseldorf").exists():
            from mitmachen.reports.demo import DemoReports

            DemoReports(self.actor).load()
            self.say("Demo reports loaded.")
        from mitmachen.mentoring.models import Programme

        if not Programme.objects.filter(organisation__slug="die-linke-duesseldorf").exists():
            from mitmachen.mentoring.demo import DemoMentoring

            DemoMentoring(self.fake, self.actor).load()
            self.say("Demo mentoring programmes loaded.")
        self.say("Demo data is ready.")

    def kassel_districts(self) -> Municipality:
        town = org.municipality_create(name="Kassel", slug="kassel", state="Hessen",
                                       actor=self.actor)
        lines = files("mitmachen").joinpath("data/kassel-stadtteile.txt").read_text("utf-8")
        names = [line.strip() for line in lines.splitlines()
                 if line.strip() and not line.startswith("#")]
        for number, name in enumerate(names, start=1):
            org.district_create(municipality=town, name=name, slug=slugify(name), number=number,
                                actor=self.actor)
        for name, slug, state in [("Düsseldorf", "duesseldorf", "Nordrhein-Westfalen"),
                                  ("Weimar", "weimar", "Thüringen"),
                                  ("Hannover", "hannover", "Niedersachsen")]:
            org.municipality_create(name=name, slug=slug, state=state, actor=self.actor)
        return town

    def linke(self, kassel_town: Municipality) -> None:
        federal = self.organisation("die-linke", "DIE LINKE", Kind.PARTY_BRANCH, Level.FEDERAL)
        hessen = self.organisation("die-linke-hessen", "DIE LINKE Hessen", Kind.PARTY_BRANCH,
                                   Level.STATE, federal)
        kassel = self.organisation(
            "die-linke-kassel", "DIE LINKE Kassel", Kind.PARTY_BRANCH, Level.DISTRICT, hessen,
            short_name="LINKE Kassel", municipality=kassel_town,
            tagline="Jetzt mitmachen und etwas bewegen!",
            about=KASSEL_ABOUT, how_to_join=KASSEL_JOIN,
            contact_email="vorstand@linke-kassel.example.org",
            contact_phone=self.fake.phone_number(),
        )
        nrw = self.organisation("die-linke-nrw", "DIE LINKE Nordrhein-Westfalen",
                                Kind.PARTY_BRANCH, Level.STATE, federal)
        self.organisation(
            "die-linke-duesseldorf", "DIE LINKE Düsseldorf", Kind.PARTY_BRANCH, Level.DISTRICT,
            nrw, short_name="LINKE Düsseldorf",
            municipality=Municipality.objects.get(slug="duesseldorf"),
            tagline="Feministisches Mentoring und eine Anlaufstelle gegen Diskriminierung",
            about="Ein kleines, feministisches Mentoringprogramm auf Kreisebene für alle "
                  "interessierten Frauen*: erfahrene Aktive begleiten Frauen* in Partei und "
                  "Kommunalpolitik.",
            how_to_join="Schreib dem Kreisvorstand, wenn Du beim Mentoring mitmachen willst, "
                        "als Mentee oder als Mentor*in.",
            contact_email="vorstand@linke-duesseldorf.example.org",
        )
        districts = {d.name: d for d in kassel_town.districts.all()}
        office = org.place_create(organisation=kassel, actor=self.actor, data={
            "name": "Parteibüro", "kind": Place.Kind.OFFICE, "street": "Schillerstraße",
            "postcode": "34117", "city": "Kassel", "step_free": Place.Access.UNKNOWN,
            "accessible_toilet": Place.Access.UNKNOWN,
        })
        plan = [
            ("Kreismitgliederversammlung", Group.Kind.ASSEMBLY, "mehrmals im Jahr",
             Group.Audience.MEMBERS, "Einladung per Post und Mail etwa drei Wochen vorher.", []),
            ("Aktiventreffen", Group.Kind.ACTIVISTS, "",
             Group.Audience.MEMBERS_AND_INTERESTED,
             "Eingeladen wird über Signal- und WhatsApp-Verteiler; Aufnahme per Anruf beim "
             "Vorstand.", []),
            ("Offenes FLINTA* Plenum", Group.Kind.PLENUM, "alle 2 Monate", Group.Audience.OPEN,
             "Genoss*innen, Interessierte und feministische Gruppen aus Kassel sind herzlich "
             "eingeladen.", []),
            ("Elterncafé", Group.Kind.CAFE, "", Group.Audience.MEMBERS_AND_INTERESTED, "", []),
        ]
        for name in ["Jungfernkopf", "Nordstadt", "Harleshausen", "Wesertor", "Kirchditmold",
                     "Wilhelmshöhe", "Rothenditmold"]:
            # "Nordstadt" and "Wilhelmshöhe" are everyday names that span official districts.
            spans = {"Nordstadt": ["Nord-Holland", "Philippinenhof/Warteberg"],
                     "Wilhelmshöhe": ["Bad Wilhelmshöhe"]}.get(name, [name])
            plan.append((f"Stadtteilgruppe {name}", Group.Kind.DISTRICT_GROUP, "",
                         Group.Audience.MEMBERS_AND_INTERESTED, "",
                         [districts[n] for n in spans]))
        for topic in ["Klima", "Betrieb und Gewerkschaft", "Politische Bildung"]:
            plan.append((f"AG {topic}", Group.Kind.WORKING_GROUP, "",
                         Group.Audience.MEMBERS_AND_INTERESTED,
                         "Der Vorstand stellt den Kontakt her.", []))
        for name, kind, rhythm, audience, description, group_districts in plan:
            group_create(organisation=kassel, name=name, kind=kind, rhythm=rhythm,
                         audience=audience, description=description, districts=group_districts,
                         actor=self.actor)
        for topic in ["Antirassismus und Migration", "Mentale Gesundheit"]:
            group_create(organisation=kassel, name=f"AG {topic}", kind=Group.Kind.WORKING_GROUP,
                         status=Group.Status.FOUNDING, audience=Group.Audience.MEMBERS,
                         description="Befindet sich in Gründung.", actor=self.actor)
        wednesday = _next_weekday(self.today, 2)
        assembly_day = _next_weekday(self.today, 5, weeks=6)
        event_create(organisation=kassel, title="Kreismitgliederversammlung",
                     kind=Event.Kind.ASSEMBLY, starts_at=_at(assembly_day, 10),
                     ends_at=_at(assembly_day, 16), venue_note="Ort folgt mit der Einladung",
                     visibility=Event.Visibility.MEMBERS,
                     description="Die Einladung geht etwa drei Wochen vorher per Post und Mail "
                                 "an alle Genoss*innen.", actor=self.actor)
        plenum = Group.objects.get(organisation=kassel, name="Offenes FLINTA* Plenum")
        first = _next_weekday(self.today, 3, weeks=1)
        series_create(organisation=kassel, title="Offenes FLINTA* Plenum",
                      kind=Event.Kind.PLENUM, dtstart=_at(first, 19), duration_minutes=120,
                      rrule="FREQ=MONTHLY;INTERVAL=2", group=plenum, place=office,
                      status=Event.Status.CONFIRMED, actor=self.actor,
                      description="Offen für alle FLINTA*, alle zwei Monate im Parteibüro.")
        event_create(organisation=kassel, title="Aktiventreffen", kind=Event.Kind.MEETING,
                     starts_at=_at(_next_weekday(self.today, 1, weeks=1), 19),
                     visibility=Event.Visibility.MEMBERS, place=office, actor=self.actor,
                     registration=Event.Registration.MEMBERS, capacity=30)
        event_create(organisation=kassel, title="Sozialsprechstunde",
                     kind=Event.Kind.CONSULTATION, starts_at=_at(wednesday, 15),
                     ends_at=_at(wednesday, 17), place=office, status=Event.Status.CONFIRMED,
                     description="Bei Problemen mit Rente, BAföG, ALG I und II. Anmeldung auch "
                                 "telefonisch.", actor=self.actor)

    def rls(self) -> None:
        federal = self.organisation("rls", "Rosa-Luxemburg-Stiftung", Kind.FOUNDATION,
                                    Level.FEDERAL)
        rls = self.organisation(
            "rls-niedersachsen", "Rosa-Luxemburg-Stiftung Niedersachsen", Kind.FOUNDATION,
            Level.STATE, federal, short_name="RLS Niedersachsen",
            municipality=Municipality.objects.get(slug="hannover"),
            about="Politische Bildung in Niedersachsen.",
            how_to_join="Unsere Veranstaltungen sind offen; die Teilnahme ist kostenfrei.",
            contact_email="kommunal@rls-nds.example.org", contact_phone="(0511) 000000",
        )
        lkf = self.organisation(
            "lkf-niedersachsen", "Linkes Kommunalpolitisches Forum Niedersachsen",
            Kind.ASSOCIATION, Level.STATE, short_name="LKF Niedersachsen",
            about="Verein für kommunalpolitisch Aktive in Niedersachsen.",
        )
        coop = org.cooperation_create(
            name="STADT. LAND. LINKS.", slug="stadt-land-links", partners=[rls, lkf],
            actor=self.actor,
            description="Das kommunalpolitische Netzwerktreffen für Niedersachsen: ein offenes "
                        "Diskussionsforum für kommunalpolitisch Aktive, mit oder ohne Mandat. "
                        "Die Treffen finden digital und regelmäßig pro Quartal statt. Eine "
                        "Teilnahmegebühr wird nicht erhoben.",
        )
        topics = {name: topic_create(organisation=rls, name=name, actor=self.actor)
                  for name in RLS_TOPICS}
        self.stadt_land_links(rls, coop, topics)

    def stadt_land_links(self, rls, coop, topics) -> None:
        """Seed 001: the quarterly online meeting; 10 June moved and given its own topic."""
        description = (
            "Das digitale Netzwerktreffen „STADT. LAND. LINKS“ versteht sich als offenes "
            "Diskussionsforum für kommunalpolitisch Aktive – ob mit oder ohne Mandat. Die "
            "Treffen werden über ZOOM stattfinden. Die Zugangsdaten werden nach Anmeldung "
            "versendet. Eine Teilnahmegebühr wird nicht erhoben.")
        series = series_create(
            organisation=rls, title="STADT. LAND. LINKS.", kind=Event.Kind.NETWORK_MEETING,
            dtstart=_at(datetime(2022, 4, 8), 18), duration_minutes=150,
            rrule="FREQ=MONTHLY;INTERVAL=3", description=description, actor=self.actor,
            topics=[topics["Stadt / Kommune / Region"]], is_online=True,
            registration=Event.Registration.OPEN, capacity=100, cooperation=coop,
            contact_email="kommunal@rls-nds.example.org", contact_name="RLS Niedersachsen",
            contact_phone="(0511) 2790934", reminder_hours=[24])
        occurrences = list(series.occurrences.order_by("starts_at"))
        first, second = occurrences[0], occurrences[1]
        event_update(event=first, actor=self.actor, topics=[
            topics["Partizipation / Bürgerrechte"], topics["Stadt / Kommune / Region"],
            topics["Politische Weiterbildung"]], data={
            "title": "Arbeitstreffen Schnelle und solidarische Unterstützung für Geflüchtete "
                     "aus der Ukraine", "ends_at": _at(datetime(2022, 4, 8), 20, 30),
            "status": Event.Status.CONFIRMED,
            "description": "Wir möchten uns bei diesem Treffen mit Anforderungen an die "
                           "Kommunen, mit Handlungsfeldern und Aufgaben befassen, Erfahrungen "
                           "austauschen und gemeinsam beraten, wie Unterstützung schnell und "
                           "solidarisch gestaltet werden kann.\n\n" + description})
        speaker_add(event=first, name="Sigmar Walbrecht", affiliation="Flüchtlingsrat "
                    "Niedersachsen", actor=self.actor)
        event_update(event=second, actor=self.actor,
                     topics=[topics["Partizipation / Bürgerrechte"]], data={
                         "title": "STADT. LAND. LINKS.: Bürger*innen-Beteiligung",
                         "starts_at": _at(datetime(2022, 6, 10), 18),
                         "ends_at": _at(datetime(2022, 6, 10), 20, 30)})
        for event in occurrences:
            access_set(event=event, actor=self.actor, url="https://zoom.example.org/j/93760801674",
                       meeting_id="937 6080 1674", passcode="demo-stadt-land")
        upcoming = next((e for e in occurrences if e.starts_at > _at(self.today, 0)), None)
        if upcoming is None:
            return
        question_add(event=upcoming, label="Für welche Kommune bist Du aktiv?",
                     kind=Question.Kind.TEXT, actor=self.actor)
        for _n in range(12):
            first_name, last_name = self.fake.first_name(), self.fake.last_name()
            registration_create(event=upcoming, first_name=first_name, last_name=last_name,
                                email=f"{slugify(first_name)}.{slugify(last_name)}@example.org",
                                privacy_accepted=True, actor=self.actor)

    def paritaet(self) -> None:
        land = self.organisation("paritaet-thueringen", "Der Paritätische Thüringen",
                                 Kind.UMBRELLA, Level.STATE)
        weimar = self.organisation(
            "paritaet-weimar", "Paritätische Kreisgruppe Weimar/Weimarer Land", Kind.UMBRELLA,
            Level.DISTRICT, land, short_name="Kreisgruppe Weimar/Apolda",
            municipality=Municipality.objects.get(slug="weimar"),
            about="Ein Zusammenschluss von 35 Paritätischen Mitgliedsorganisationen in der Stadt "
                  "Weimar und im Kreis Weimarer Land. Die Kreisgruppe widmet sich aktuellen "
                  "Themen der Sozial- und Kommunalpolitik und tritt für eine bunte, vielfältige "
                  "und tolerante Gesellschaft ein.",
            how_to_join="Im Frühsommer verleiht die Kreisgruppe bei ihrem Sommerfest den "
                        "Ehrenamtspreis. Mitgliedsorganisationen sind zu allen Sitzungen "
                        "eingeladen.",
            contact_email="kreisgruppe-weimar@example.org",
        )
        names = list(WEIMAR_MEMBERS_NAMED)
        for kind in WEIMAR_MEMBER_KINDS:
            for town in WEIMAR_TOWNS:
                if len(names) < 35:
                    names.append(f"{kind} {town} e. V.")
        for name in names:
            member = self.organisation(slugify(name)[:70], name, Kind.MEMBER_ORGANISATION,
                                       Level.LOCAL)
            org.umbrella_member_add(umbrella=weimar, member=member, actor=self.actor)
        venues = {}
        for name, city in [("Frauenzentrum", "Erfurt"), ("Schloss Tonndorf", "Tonndorf"),
                           ("Camsin e. V.", "Weimar"), ("Distanz e. V.", "Weimar")]:
            venues[name] = org.place_create(organisation=weimar, actor=self.actor, data={
                "name": name, "city": city, "kind": Place.Kind.VENUE})
        for year in (2020, self.today.year + 1):
            plan = [((_at(datetime(year, month, day), start), _at(datetime(year, month, day), end)))
                    for (month, day), start, end, *_rest in WEIMAR_PLAN]
            series = series_create(
                organisation=weimar, title=f"Kreisgruppensitzungen {year}",
                kind=Event.Kind.MEETING, dtstart=plan[0][0], dates=plan, actor=self.actor,
                description="Die regelmäßigen Treffen dienen dem Erfahrungsaustausch, der "
                            "Netzwerkarbeit und der Organisation der Lobbyarbeit vor Ort.")
            occurrences = series.occurrences.order_by("starts_at")
            for event, (_day, _s, _e, topic, venue, note, status, speaker) in zip(
                    occurrences, WEIMAR_PLAN, strict=True):
                event_update(event=event, actor=self.actor, data={
                    "title": f"Kreisgruppensitzung: {topic}", "place": venues.get(venue),
                    "venue_note": note, "status": status,
                    "kind": Event.Kind.FESTIVAL if "Sommerfest" in topic else
                    Event.Kind.MEETING})
                if speaker:
                    speaker_add(event=event, name=speaker[0], affiliation=speaker[1],
                                actor=self.actor)

    def spd(self, kassel_town: Municipality) -> None:
        federal = self.organisation("spd", "SPD", Kind.PARTY_BRANCH, Level.FEDERAL)
        north = self.organisation("spd-hessen-nord", "SPD Hessen-Nord", Kind.PARTY_BRANCH,
                                  Level.STATE, federal)
        spd = self.organisation(
            "spd-kassel", "SPD Kassel", Kind.PARTY_BRANCH, Level.DISTRICT, north,
            municipality=kassel_town, tagline="Zusammenhalt, der alle stärkt",
            about="Mit unserer sozialen Stadtpolitik nehmen wir die Bedürfnisse aller "
                  "Bürger*innen in den Blick. Die Herausforderungen in den 23 Kasseler "
                  "Stadtteilen sind sehr unterschiedlich.",
            how_to_join="Kassel sagt Danke! Engagierte finden bei uns Angebote zum Mitmachen.",
            contact_email="info@spd-kassel.example.org",
        )
        districts = list(kassel_town.districts.all())
        by_name = {d.name: d for d in districts}
        centres = [(f"Stadtteilzentrum {n}", by_name[n]) for n in SPD_NAMED_CENTRES]
        for district in districts:
            if len(centres) >= 32:
                break
            if district.name not in SPD_NAMED_CENTRES:
                centres.append((f"Stadtteiltreff {district.name}", district))
        while len(centres) < 32:
            district = districts[len(centres) % len(districts)]
            centres.append((f"Nachbarschaftstreff {district.name}", district))
        operators = ["Stadt Kassel", "freier Träger", "Kirchengemeinde", "Bürgerverein"]
        for index, (name, district) in enumerate(centres):
            access = [Place.Access.YES, Place.Access.PARTLY, Place.Access.UNKNOWN][index % 3]
            org.place_create(organisation=spd, actor=self.actor, data={
                "name": name, "kind": Place.Kind.DISTRICT_CENTRE, "district": district,
                "operator": operators[index % len(operators)],
                "street": self.fake.street_address(), "postcode": "341" + f"{index + 10:02d}",
                "city": "Kassel", "step_free": access, "accessible_toilet": access,
            })

    def logins(self) -> None:
        for email, slug, role in DEMO_LOGINS:
            user = User.objects.filter(email=email).first() or core_services.user_create(
                email=email, name=self.fake.name(), password=DEMO_PASSWORD, actor=self.actor)
            core_services.role_grant(user=user, organisation=Organisation.objects.get(slug=slug),
                                     role=role, actor=self.actor)
