import io

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook

from mitmachen.core.models import AuditEntry, Job
from mitmachen.people import imports, services
from mitmachen.people.imports import Importer
from mitmachen.people.models import Contact

pytestmark = pytest.mark.django_db

GERMAN = ("Vorname;Nachname;E-Mail;Telefon;Straße;PLZ;Ort;Stadtteil;Geburtstag;Status;"
          "Mitgliedsnummer\n"
          "Jürgen;Müller;jm@example.org;0561 9201500;Weg 1;34117;Kassel;Mitte;01.02.1970;"
          "Mitglied;K-1\n"
          "Änne;Groß;;;;;;Wesertor;;interessiert;\n")


def test_windows_1252_with_semicolons(world):
    report = Importer(world.kassel).run(GERMAN.encode("cp1252"), commit=True, actor=None)
    assert report.valid == 2 and not report.problems
    juergen = Contact.objects.get(last_name="Müller")
    assert juergen.phone == "+495619201500" and juergen.status == "member"
    assert juergen.district.name == "Mitte" and juergen.birthday.year == 1970
    assert juergen.membership_number == "K-1"
    assert Contact.objects.get(first_name="Änne").status_changes.count() == 1
    assert AuditEntry.objects.filter(object_repr="import of 2 contacts").exists()


def test_utf8_with_commas_and_english_headers(world):
    text = "first_name,last_name,email\nAda,Lovelace,ada@example.org\n"
    report = Importer(world.kassel).run(text.encode("utf-8-sig"), commit=True, actor=None)
    assert report.valid == 1 and Contact.objects.get().email == "ada@example.org"


def test_xlsx(world):
    book = Workbook()
    sheet = book.active
    sheet.append(["Vorname", "Nachname", "Geburtstag"])
    sheet.append(["Rosa", "Beispiel", "1971-03-05"])
    buffer = io.BytesIO()
    book.save(buffer)
    report = Importer(world.kassel).run(buffer.getvalue(), commit=True, actor=None)
    assert report.valid == 1 and Contact.objects.get().birthday.isoformat() == "1971-03-05"


def test_dry_run_reports_errors_and_duplicates_and_saves_nothing(world):
    services.contact_create(organisation=world.kassel, actor=None, data={
        "first_name": "Alt", "email": "alt@example.org"})
    text = ("Vorname;E-Mail;Telefon;Geburtstag;Status;Stadtteil\n"
            ";leer@example.org;;;;\n"                  # 2: no first name
            "A;kaputt;;;;\n"                           # 3: bad e-mail
            "B;;12;;;\n"                               # 4: bad phone
            "C;;;31.02.2000;;\n"                       # 5: bad date
            "D;;;;König;\n"                            # 6: unknown status
            "E;;;;;Atlantis\n"                         # 7: unknown district
            "F;alt@example.org;;;;\n"                  # 8: duplicate of an existing contact
            "G;neu@example.org;;;;\n"                  # 9: fine
            "H;NEU@example.org;;;;\n"                  # 10: duplicate of line 9
            "I\x00;;;;;\n")                            # 11: NUL byte
    report = Importer(world.kassel).run(text.encode(), commit=False)
    assert report.total == 10 and report.valid == 1
    by_line = {p.line: p for p in report.problems}
    assert set(by_line) == {2, 3, 4, 5, 6, 7, 8, 10, 11}
    assert by_line[8].duplicate and by_line[10].duplicate and "9" in by_line[10].duplicate
    assert Contact.objects.count() == 1


def test_name_and_birthday_count_as_duplicate(world):
    text = "Vorname;Nachname;Geburtstag\nRosa;L;05.03.1971\nrosa;l;1971-03-05\n"
    report = Importer(world.kassel).run(text.encode(), commit=False)
    assert report.valid == 1 and report.duplicates == 1


def test_a_failing_import_leaves_nothing_behind(world, monkeypatch):
    rows = "Vorname\n" + "".join(f"P{n}\n" for n in range(imports.BATCH + 10))
    calls = {"n": 0}
    original = Importer._save

    def failing(self, batch, actor):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return original(self, batch, actor)

    monkeypatch.setattr(Importer, "_save", failing)
    with pytest.raises(RuntimeError):
        Importer(world.kassel).run(rows.encode(), commit=True, actor=None)
    assert not Contact.objects.exists()


@pytest.mark.parametrize("data,message", [
    (b"", "empty"), (b"   \n", "empty"), (b"\x00\x01\x02binary", "not a CSV"),
    ("Vorname;Nachname\nA;B\n".encode("utf-16"), "not a CSV"),
    (b"Name;Mail\nx;y\n", "first name"), (b"PK\x03\x04broken", "Excel"),
])
def test_unreadable_files_are_refused(world, data, message):
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError) as error:
        Importer(world.kassel).run(data, commit=False)
    assert message in " ".join(error.value.messages)


def test_overlong_values_are_reported(world):
    text = "Vorname;Nachname\nA;" + "x" * 101 + "\n"
    report = Importer(world.kassel).run(text.encode(), commit=False)
    assert report.valid == 0 and report.errors == 1


def test_import_pages_dry_run_then_import(world, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login("kassel_board")
    upload = SimpleUploadedFile("mitglieder.csv", GERMAN.encode("cp1252"), "text/csv")
    response = client.post("/staff/kassel/contacts/import/", {"file": upload})
    html = response.content.decode()
    assert "2 Kontakte werden importiert" in html and not Contact.objects.exists()
    key = response.context["key"]
    response = client.post("/staff/kassel/contacts/import/run/", {"key": key})
    job = Job.objects.get()
    assert response.url == f"/staff/kassel/jobs/{job.pk}/"
    assert job.status == "done" and Contact.objects.count() == 2
    # The file is gone: running it again imports nothing twice.
    client.post("/staff/kassel/contacts/import/run/", {"key": key})
    assert Contact.objects.count() == 2


def test_import_run_refuses_foreign_or_forged_keys(world, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    board = login("kassel_board")
    upload = SimpleUploadedFile("x.csv", GERMAN.encode(), "text/csv")
    key = board.post("/staff/kassel/contacts/import/", {"file": upload}).context["key"]
    other = login("duesseldorf_board")
    other.post("/staff/duesseldorf/contacts/import/run/", {"key": key})
    for forged in ["../../secret_key", "x" * 32, ""]:
        board.post("/staff/kassel/contacts/import/run/", {"key": forged})
    assert not Contact.objects.exists()
    assert login("kassel_groups").get("/staff/kassel/contacts/import/").status_code == 403
