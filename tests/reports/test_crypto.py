"""Who can decrypt what (the issue's second "done when"), and the pieces of crypto.py.

An administrator with the whole database, the key store and every officer's public record
tries every key that can be had without a passphrase or a receipt, and fails; the officer, with
the passphrase, succeeds with the very same routine. Revocation, grants, resets and passphrase
changes move exactly the access they should.
"""

import contextlib
import itertools
import json
import math

import nacl.exceptions
import nacl.pwhash
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.public import PrivateKey, SealedBox

from mitmachen.core import services as core
from mitmachen.core.models import RoleAssignment
from mitmachen.core.roles import Role
from mitmachen.reports import access, crypto, keystore, services
from mitmachen.reports.models import OfficerKey, Report, ReportKey

from .conftest import KNOWN_TEXT, PASSPHRASE, make_officer

pytestmark = pytest.mark.django_db
FAILS = (crypto.DecryptionError, nacl.exceptions.CryptoError, ValueError, TypeError)


@pytest.fixture(autouse=True)
def key_dir(settings, tmp_path):
    settings.REPORTS_KEY_DIR = tmp_path / "report-keys"
    return settings.REPORTS_KEY_DIR


def new_officer(world, name, organisation=None, passphrase=PASSPHRASE):
    """Another anti-discrimination officer of Düsseldorf with two factors and a key."""
    user = core.user_create(email=f"{name}@example.org", name=name, password=None)
    core.role_grant(user=user, organisation=organisation or world.duesseldorf,
                    role=Role.ANTIDISCRIMINATION_OFFICER, actor=None)
    return user, make_officer(user, passphrase)


def raw_rows(table: str) -> list[dict]:
    """A table as an administrator with SQL access sees it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
        columns = [c[0] for c in cursor.description]
        return [{c: (bytes(v) if isinstance(v, memoryview | bytearray) else v)
                 for c, v in zip(columns, row, strict=True)} for row in cursor.fetchall()]


def administrator_view(report: Report) -> dict:
    """Everything about `report` outside the officers' heads: its rows, its key rows, every
    officer key row, the key file (an administrator has the server, not only the database)."""
    [row] = [r for r in raw_rows("reports_report") if r["id"] == report.pk]
    return {
        "report": row,
        "keys": [r for r in raw_rows("reports_reportkey") if r["report_id"] == report.pk],
        "officers": raw_rows("reports_officerkey"),
        "messages": [r for r in raw_rows("reports_message") if r["report_id"] == report.pk],
        "shred": (keystore._dir() / f"{row['key_name']}.key").read_bytes(),
    }


def try_to_read(view: dict, candidates) -> str | None:
    """Every way we know to get at the report's text from `view` and candidate 32-byte keys
    (as private keys, report keys, content keys, shredding keys). The text, or None."""
    payload = view["report"]["payload"]
    shred = view["shred"]
    report_keys = []
    for candidate in candidates:
        report_keys.append(candidate)
        for wrapped in [k["wrapped"] for k in view["keys"]] + [view["report"]["receipt_wrap"]]:
            with contextlib.suppress(*FAILS):  # the candidate as the private key
                report_keys.append(SealedBox(PrivateKey(candidate)).decrypt(wrapped))
            with contextlib.suppress(*FAILS):  # as the secret key of the receipt's wrap
                report_keys.append(crypto.unseal(candidate, wrapped))
    name = view["report"]["key_name"]
    for key in report_keys:
        for content in (key, crypto.content_key(key, shred), crypto.content_key(shred, key)):
            with contextlib.suppress(*FAILS):
                return crypto.unseal(content, payload).decode()
            with contextlib.suppress(*FAILS):  # the way the service opens it
                return json.dumps(crypto.open_value(content, "payload", payload, report=name,
                                                    kind="report"))
    return None


def administrator_candidates(view: dict, email: str) -> list[bytes]:
    """Every 32-byte key an administrator can make without a passphrase or a receipt."""
    found = [b"\0" * 32, b"\xff" * 32, view["shred"]]
    for officer in view["officers"]:
        public, sealed, salt = officer["public_key"], officer["sealed_private_key"], officer["salt"]
        found += [public, sealed[:32], sealed[-32:], salt.ljust(32, b"\0")]
        # Passphrases an administrator might guess: none, the e-mail address, an old default.
        for guess in ["", email, "password1234", PASSPHRASE.upper()]:
            derived = crypto.passphrase_key(guess, salt, officer["opslimit"],
                                            officer["memlimit"])
            found.append(derived)
            with contextlib.suppress(*FAILS):
                found.append(crypto.unseal(derived, sealed))
    lookup = view["report"]["receipt_lookup"]
    # The receipt's hash, taken for the receipt, and every hash of it we can think of.
    found += [crypto.receipt_key(lookup), bytes.fromhex(lookup),
              crypto.receipt_key(view["report"]["key_name"])]
    return [f for f in found if len(f) == 32]


def test_an_administrator_with_everything_but_a_passphrase_reads_nothing(world, officer,
                                                                          submit):
    user, private_key = officer
    report, _receipt = submit()
    view = administrator_view(report)
    assert len(view["keys"]) == 1 and len(view["officers"]) == 1
    candidates = administrator_candidates(view, user.email)
    assert len(candidates) > 10
    assert try_to_read(view, candidates) is None
    # Nothing in the rows is the text, of course.
    assert KNOWN_TEXT.encode() not in repr(view).encode()

    # The same routine with the officer's key opens it: the attempts above were real ones.
    assert json.loads(try_to_read(view, [private_key]))["what"] == KNOWN_TEXT
    opened = services.report_open(report=report, officer=user, private_key=private_key)
    assert opened.content["what"] == KNOWN_TEXT


def test_board_and_administrators_have_no_way_in(world, officer, submit):
    report, _receipt = submit()
    for persona in ["duesseldorf_admin", "duesseldorf_board", "kassel_admin"]:
        other = world.users[persona]
        # Even with two factors and a key pair of their own.
        other_key = make_officer(other)
        assert not ReportKey.objects.filter(officer=other).exists()
        with pytest.raises(PermissionDenied):
            services.report_open(report=report, officer=other, private_key=other_key)
        with pytest.raises(ValidationError):
            access.grant(organisation=world.duesseldorf, granter=officer[0],
                         private_key=officer[1], officer=other)
    assert ReportKey.objects.filter(report=report).count() == 1


def test_the_shredding_key_and_the_database_are_both_needed(world, officer, submit):
    user, private_key = officer
    report, _receipt = submit()
    view = administrator_view(report)
    report_key = crypto.unwrap(private_key, view["keys"][0]["wrapped"])

    def payload_with(content):
        return crypto.open_value(content, "payload", view["report"]["payload"],
                                 report=report.key_name, kind="report")

    assert payload_with(crypto.content_key(report_key, view["shred"]))["what"] == KNOWN_TEXT
    with pytest.raises(crypto.DecryptionError):  # the report key alone does not do
        payload_with(report_key)
    with pytest.raises(crypto.DecryptionError):  # nor another report's shredding key
        other, _r = submit(what="Ein anderer Bericht")
        payload_with(crypto.content_key(report_key, keystore.read(other.key_name)))


def test_a_revoked_officer_cannot_read_reports_made_after_the_revocation(world, officer,
                                                                          submit):
    leaving, leaving_key = officer
    staying, staying_key = new_officer(world, "second_officer")
    before, _r = submit()
    assert set(ReportKey.objects.filter(report=before).values_list("officer", flat=True)) == \
        {leaving.pk, staying.pk}

    assignment = RoleAssignment.objects.get(user=leaving, role=Role.ANTIDISCRIMINATION_OFFICER)
    core.role_revoke(assignment=assignment, actor=world.users["duesseldorf_board"])
    assert not ReportKey.objects.filter(officer=leaving,
                                        report__organisation=world.duesseldorf).exists()

    after, _r = submit(what="Nach dem Widerruf gemeldet")
    rows = list(ReportKey.objects.filter(report=after))
    assert [row.officer_id for row in rows] == [staying.pk]
    # They still hold their private key (the passphrase still opens it) ...
    assert access.private_key_open(user=leaving, passphrase=PASSPHRASE) == leaving_key
    # ... and it opens no wrapped key of the new report, nor of the old one.
    for row in ReportKey.objects.filter(report__in=[before, after]):
        with pytest.raises(crypto.DecryptionError):
            crypto.unwrap(leaving_key, bytes(row.wrapped))
        assert crypto.unwrap(staying_key, bytes(row.wrapped))
    fresh = type(leaving).objects.get(pk=leaving.pk)
    for report in (before, after):
        with pytest.raises(PermissionDenied):
            services.report_open(report=report, officer=fresh, private_key=leaving_key)
    assert services.report_open(report=after, officer=staying,
                                private_key=staying_key).content["what"] == \
        "Nach dem Widerruf gemeldet"


def test_a_new_officer_reads_earlier_reports_only_once_granted(world, officer, submit):
    first, first_key = officer
    earlier, _r = submit()
    newcomer, newcomer_key = new_officer(world, "newcomer")
    later, _r = submit(what="Nach dem Neuzugang")

    assert services.report_open(report=later, officer=newcomer,
                                private_key=newcomer_key).content["what"] == "Nach dem Neuzugang"
    with pytest.raises(PermissionDenied):
        services.report_open(report=earlier, officer=newcomer, private_key=newcomer_key)
    assert access.missing_access(world.duesseldorf) == [(newcomer, 1)]

    # Only an officer of the organisation can grant, and only to one.
    with pytest.raises(PermissionDenied):
        access.grant(organisation=world.duesseldorf, granter=world.users["duesseldorf_admin"],
                     private_key=first_key, officer=newcomer)
    assert access.grant(organisation=world.duesseldorf, granter=first, private_key=first_key,
                        officer=newcomer) == 1
    row = ReportKey.objects.get(report=earlier, officer=newcomer)
    assert row.granted_by == first
    assert services.report_open(report=earlier, officer=newcomer,
                                private_key=newcomer_key).content["what"] == KNOWN_TEXT
    assert access.missing_access(world.duesseldorf) == []
    # Granting again gives nothing twice.
    assert access.grant(organisation=world.duesseldorf, granter=first, private_key=first_key,
                        officer=newcomer) == 0


def test_a_grant_with_a_key_that_is_not_the_granters_is_refused(world, officer, submit):
    first, first_key = officer
    submit()
    newcomer, newcomer_key = new_officer(world, "newcomer")
    for wrong in (newcomer_key, bytes(PrivateKey.generate())):
        with pytest.raises(PermissionDenied):
            access.grant(organisation=world.duesseldorf, granter=first, private_key=wrong,
                         officer=newcomer)
    assert not ReportKey.objects.filter(officer=newcomer).exists()


def test_a_key_reset_loses_access_until_granted_again(world, officer, submit):
    user, old_key = officer
    other, other_key = new_officer(world, "colleague")
    report, _r = submit()
    new_record = access.officer_key_reset(user=user, passphrase="Ein ganz neuer Satz 2027")
    new_key = access.private_key_open(user=user, passphrase="Ein ganz neuer Satz 2027")
    assert new_key != old_key
    assert bytes(new_record.public_key) == bytes(PrivateKey(new_key).public_key)
    assert not ReportKey.objects.filter(officer=user).exists()
    with pytest.raises(ValidationError):
        access.private_key_open(user=user, passphrase=PASSPHRASE)
    for key in (old_key, new_key):
        with pytest.raises(PermissionDenied):
            services.report_open(report=report, officer=user, private_key=key)
    assert access.grant(organisation=world.duesseldorf, granter=other, private_key=other_key,
                        officer=user) == 1
    assert services.report_open(report=report, officer=user,
                                private_key=new_key).content["what"] == KNOWN_TEXT


def test_a_passphrase_change_keeps_access(world, officer, submit):
    user, private_key = officer
    report, _r = submit()
    before = OfficerKey.objects.get(user=user)
    with pytest.raises(ValidationError):
        access.passphrase_change(user=user, old="nicht die richtige", new="Neuer Satz 2027 ok")
    with pytest.raises(ValidationError):
        access.passphrase_change(user=user, old=PASSPHRASE, new="zu kurz")
    assert bytes(OfficerKey.objects.get(user=user).sealed_private_key) == \
        bytes(before.sealed_private_key)

    wrapped_before = bytes(ReportKey.objects.get(report=report, officer=user).wrapped)
    access.passphrase_change(user=user, old=PASSPHRASE, new="Neuer Satz 2027 ok")
    after = OfficerKey.objects.get(user=user)
    assert bytes(after.sealed_private_key) != bytes(before.sealed_private_key)
    assert bytes(after.salt) != bytes(before.salt)
    # A new key pair: whoever copied the old sealed key and learns the old passphrase later
    # opens none of the report keys that are stored now.
    assert bytes(after.public_key) != bytes(before.public_key)
    with pytest.raises(ValidationError):
        access.private_key_open(user=user, passphrase=PASSPHRASE)
    new_key = access.private_key_open(user=user, passphrase="Neuer Satz 2027 ok")
    assert new_key != private_key
    assert bytes(PrivateKey(new_key).public_key) == bytes(after.public_key)
    row = ReportKey.objects.get(report=report, officer=user)
    assert bytes(row.wrapped) != wrapped_before
    with pytest.raises(crypto.DecryptionError):
        crypto.unwrap(private_key, bytes(row.wrapped))
    assert services.report_open(report=report, officer=user,
                                private_key=new_key).content["what"] == KNOWN_TEXT
    with pytest.raises(PermissionDenied):  # the old key (a session unlocked before) is stale
        services.report_open(report=report, officer=user, private_key=private_key)
    # Still a reader: the next report is wrapped for the new key.
    later, _r = submit(what="Nach dem Wechsel")
    assert services.report_open(report=later, officer=user,
                                private_key=new_key).content["what"] == "Nach dem Wechsel"


def test_the_reporter_opens_with_the_receipt_and_nothing_else(world, officer, submit):
    report, receipt = submit()
    found, report_key = services.reporter_open(organisation=world.duesseldorf, receipt=receipt)
    assert found == report
    assert services.reporter_view(report=found, report_key=report_key).content["what"] == \
        KNOWN_TEXT
    # Typed carelessly, it still works; another organisation's form does not find it.
    sloppy = receipt.lower().replace("-", " ").replace("0", "o")
    assert services.reporter_open(organisation=world.duesseldorf, receipt=sloppy)[0] == report
    for wrong in [receipt[:-1] + ("A" if receipt[-1] != "A" else "B"), "", receipt + "X",
                  report.receipt_lookup, None, 12345]:
        with pytest.raises(ValidationError):
            services.reporter_open(organisation=world.duesseldorf, receipt=wrong)
    with pytest.raises(ValidationError):
        services.reporter_open(organisation=world.kassel, receipt=receipt)


# --- crypto.py on its own -------------------------------------------------------------------

def test_an_officer_key_opens_only_with_its_passphrase():
    made = crypto.officer_keypair("Lange Passphrase 42")
    private = crypto.open_private_key(
        sealed_private_key=made["sealed_private_key"], salt=made["salt"],
        opslimit=made["opslimit"], memlimit=made["memlimit"], passphrase="Lange Passphrase 42")
    assert bytes(PrivateKey(private).public_key) == made["public_key"]
    assert made["opslimit"] >= nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE
    assert made["memlimit"] >= nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE
    for wrong in ["lange passphrase 42", "Lange Passphrase 42 ", ""]:
        with pytest.raises(crypto.DecryptionError):
            crypto.open_private_key(
                sealed_private_key=made["sealed_private_key"], salt=made["salt"],
                opslimit=made["opslimit"], memlimit=made["memlimit"], passphrase=wrong)


def test_a_session_split_needs_both_halves():
    private = bytes(PrivateKey.generate())
    stored, client = crypto.split_for_session(private)
    assert private not in stored
    assert crypto.join_from_session(stored, client) == private
    other_stored, other_client = crypto.split_for_session(private)
    for bad in [other_client, "", "not base64!", client[:-4], "A" * 44]:
        with pytest.raises(crypto.DecryptionError):
            crypto.join_from_session(stored, bad)
    with pytest.raises(crypto.DecryptionError):
        crypto.join_from_session(other_stored[:-1] + bytes([other_stored[-1] ^ 1]), other_client)


def test_wrapping_is_for_one_recipient_only():
    alice, bob = PrivateKey.generate(), PrivateKey.generate()
    key = crypto.random_key()
    wrapped = crypto.wrap_for(bytes(alice.public_key), key)
    assert crypto.unwrap(bytes(alice), wrapped) == key
    with pytest.raises(crypto.DecryptionError):
        crypto.unwrap(bytes(bob), wrapped)
    with pytest.raises(crypto.DecryptionError):
        crypto.unwrap(bytes(alice), wrapped[:-1] + bytes([wrapped[-1] ^ 1]))


def test_the_content_key_depends_on_both_halves():
    a, b, c = crypto.random_key(), crypto.random_key(), crypto.random_key()
    keys = {crypto.content_key(a, b), crypto.content_key(a, c), crypto.content_key(c, b),
            crypto.content_key(b, a)}
    assert len(keys) == 4 and all(len(k) == crypto.KEY_SIZE for k in keys)
    assert crypto.content_key(a, b) == crypto.content_key(a, b)


# --- receipts ---------------------------------------------------------------------------------

ALPHABET = crypto.RECEIPT_ALPHABET
LENGTH = crypto.RECEIPT_GROUPS * crypto.RECEIPT_GROUP_SIZE
SEPARATORS = " -\t\r\n"
codes = st.text(alphabet=ALPHABET, min_size=LENGTH, max_size=LENGTH)


def canonical(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, LENGTH, 4))


def test_entropy_is_100_bits_by_construction():
    assert len(ALPHABET) == 32 and len(set(ALPHABET)) == 32
    assert not set("ILOU") & set(ALPHABET)  # nothing to confuse when copying from paper
    assert LENGTH == 20
    assert math.log2(len(ALPHABET) ** LENGTH) == 100
    drawn = [crypto.new_receipt() for _ in range(2000)]
    assert len(set(drawn)) == len(drawn)  # no two alike
    assert all(crypto.normalise_receipt(r) == r for r in drawn)
    # Every character of the alphabet is used (40 000 draws: each is expected 1 250 times).
    assert set("".join(drawn).replace("-", "")) == set(ALPHABET)


# The module's fixtures (a key store per test, the database) are not used by these properties.
FIXTURES_UNUSED = [HealthCheck.function_scoped_fixture]


@settings(max_examples=300, suppress_health_check=FIXTURES_UNUSED)
@given(code=codes, style=st.sampled_from(["canonical", "lower", "spaces", "bare", "o-for-0",
                                          "mixed"]))
def test_a_receipt_as_typed_normalises_to_its_canonical_form(code, style):
    shown = canonical(code)
    typed = {
        "canonical": shown,
        "lower": shown.lower(),
        "spaces": shown.replace("-", " "),
        "bare": code,
        "o-for-0": shown.replace("0", "O"),
        "mixed": " " + shown.replace("0", "o").replace("1", "l").lower().replace("-", " - ")
                 + "\n",
    }[style]
    assert crypto.normalise_receipt(typed) == shown


@settings(max_examples=500, suppress_health_check=FIXTURES_UNUSED)
@given(text=st.text(max_size=60))
def test_any_string_without_twenty_receipt_characters_is_refused(text):
    confusable = set(ALPHABET) | set(ALPHABET.lower()) | set("oOiIlL")
    meaningful = [ch for ch in text if ch not in SEPARATORS]
    if len(meaningful) == LENGTH and all(ch in confusable for ch in meaningful):
        return  # a real receipt (the property above covers those)
    assert crypto.normalise_receipt(text) is None


@settings(max_examples=200, suppress_health_check=FIXTURES_UNUSED)
@given(length=st.integers(0, 40).filter(lambda n: n != LENGTH), data=st.data())
def test_receipt_characters_of_the_wrong_length_are_refused(length, data):
    chars = data.draw(st.text(alphabet=ALPHABET + "oOiIlL", min_size=length, max_size=length))
    assert crypto.normalise_receipt(chars) is None
    grouped = "-".join(chars[i:i + 4] for i in range(0, len(chars), 4))
    assert crypto.normalise_receipt(grouped) is None


@pytest.mark.parametrize("bad", ["U" * 20, "*" * 20, "ÄÖÜ" * 7, "0" * 19 + "!", "ß" * 10,
                                 "ﬀ" * 10, "０" * 20])
def test_characters_outside_the_alphabet_are_refused(bad):
    assert crypto.normalise_receipt(bad) is None


@settings(max_examples=100, suppress_health_check=[*FIXTURES_UNUSED, HealthCheck.too_slow])
@given(first=codes, second=codes)
def test_lookup_and_key_are_distinct_and_say_nothing_of_each_other(first, second):
    a, b = canonical(first), canonical(second)
    assert crypto.receipt_lookup(a) == crypto.receipt_lookup(a)
    assert crypto.receipt_key(a).hex() != crypto.receipt_lookup(a)
    assert a.encode() not in crypto.receipt_key(a)
    assert a not in crypto.receipt_lookup(a).upper()
    if a != b:
        assert crypto.receipt_lookup(a) != crypto.receipt_lookup(b)
        assert crypto.receipt_key(a) != crypto.receipt_key(b)


def test_receipts_differ_and_every_receipt_opens_only_its_wrap():
    receipts = [crypto.new_receipt() for _ in range(20)]
    assert len(set(receipts)) == 20
    wrapped = [(r, crypto.seal(crypto.receipt_key(r), b"k" * 32)) for r in receipts]
    for (r1, _w), (_r2, w2) in itertools.product(wrapped, wrapped):
        if r1 == _r2:
            assert crypto.unseal(crypto.receipt_key(r1), w2) == b"k" * 32
        else:
            with pytest.raises(crypto.DecryptionError):
                crypto.unseal(crypto.receipt_key(r1), w2)


# --- passphrases and their cost -------------------------------------------------------------

@pytest.mark.parametrize("weak", [
    "correct horse battery staple",  # the account password (tests.conftest.PASSWORD)
    "aaaaaaaaaaaa",  # long enough, but five characters at most
    "abababababab1",
    "password1234",  # on Django's list of common passwords
    "123456789012345",  # only digits
    "duesseldorf_officer@example.org",  # the e-mail address
])
def test_weak_passphrases_are_refused(world, weak):
    user = world.users["duesseldorf_officer"]
    from .conftest import enrol

    enrol(user)
    with pytest.raises(ValidationError) as refused:
        access.officer_key_create(user=user, passphrase=weak)
    assert list(refused.value.message_dict) == ["passphrase"]
    assert not OfficerKey.objects.filter(user=user).exists()
    access.officer_key_create(user=user, passphrase=PASSPHRASE)
    with pytest.raises(ValidationError) as refused:
        access.officer_key_reset(user=user, passphrase=weak)
    with pytest.raises(ValidationError) as refused:
        access.passphrase_change(user=user, old=PASSPHRASE, new=weak)
    assert list(refused.value.message_dict) == ["new_passphrase"]
    assert access.private_key_open(user=user, passphrase=PASSPHRASE)


def test_the_new_passphrase_must_differ_from_the_old(world, officer):
    user, _key = officer
    with pytest.raises(ValidationError):
        access.passphrase_change(user=user, old=PASSPHRASE, new=PASSPHRASE)


def test_argon2_cost_comes_from_the_settings(settings):
    from mitmachen import settings as production

    assert production.REPORTS_ARGON2 == "moderate"
    assert settings.REPORTS_ARGON2 == "interactive"  # tests/settings.py: tests unlock often
    assert crypto.argon2_limits() == (nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE,
                                      nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE)
    settings.REPORTS_ARGON2 = "moderate"
    assert crypto.argon2_limits() == (nacl.pwhash.argon2id.OPSLIMIT_MODERATE,
                                      nacl.pwhash.argon2id.MEMLIMIT_MODERATE)
    settings.REPORTS_ARGON2 = "cheap"
    with pytest.raises(ValueError):
        crypto.argon2_limits()


def test_a_key_sealed_with_other_limits_is_sealed_again_at_unlock(world, officer, submit):
    user, private_key = officer
    report, _r = submit()
    cheap = (nacl.pwhash.argon2id.OPSLIMIT_MIN, nacl.pwhash.argon2id.MEMLIMIT_MIN)
    OfficerKey.objects.filter(user=user).update(
        **crypto.reseal_private_key(private_key, PASSPHRASE, limits=cheap))
    assert (OfficerKey.objects.get(user=user).opslimit,
            OfficerKey.objects.get(user=user).memlimit) == cheap

    assert access.private_key_open(user=user, passphrase=PASSPHRASE) == private_key
    key = OfficerKey.objects.get(user=user)
    assert (key.opslimit, key.memlimit) == crypto.argon2_limits()
    assert crypto.open_private_key(sealed_private_key=bytes(key.sealed_private_key),
                                   salt=bytes(key.salt), opslimit=key.opslimit,
                                   memlimit=key.memlimit, passphrase=PASSPHRASE) == private_key
    assert services.report_open(report=report, officer=user,
                                private_key=private_key).content["what"] == KNOWN_TEXT
    # Sealed with the current limits, it is left alone.
    sealed = bytes(key.sealed_private_key)
    access.private_key_open(user=user, passphrase=PASSPHRASE)
    assert bytes(OfficerKey.objects.get(user=user).sealed_private_key) == sealed


# --- every ciphertext opens only where it was written ----------------------------------------

def test_subkeys_differ_per_purpose_and_envelopes_name_their_place():
    content = crypto.random_key()
    keys = {crypto.subkey(content, purpose) for purpose in crypto.PURPOSES}
    assert len(keys) == len(crypto.PURPOSES) and content not in keys
    blob = crypto.seal_value(content, "entry", report="a" * 32, kind="note", value="intern")
    assert crypto.open_value(content, "entry", blob, report="a" * 32, kind="note") == "intern"
    for purpose, report, kind in [("officer_message", "a" * 32, "note"),
                                  ("entry", "b" * 32, "note"), ("entry", "a" * 32, "decision")]:
        with pytest.raises(crypto.DecryptionError):
            crypto.open_value(content, purpose, blob, report=report, kind=kind)
    with pytest.raises(crypto.DecryptionError):  # the content key itself opens nothing
        crypto.unseal(content, blob)
    data = crypto.seal_bytes(content, "file_content", report="a" * 32, kind="reporter:1",
                             data=b"%PDF\n\x00\n")
    assert crypto.open_bytes(content, "file_content", data, report="a" * 32,
                             kind="reporter:1") == b"%PDF\n\x00\n"
    with pytest.raises(crypto.DecryptionError):
        crypto.open_bytes(content, "file_content", data, report="a" * 32, kind="reporter:2")
