"""Düsseldorf's reporting channel with one officer ready to read (two factors, a key, and
approved as a reader)."""

import pyotp
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from mitmachen.core.models import TotpDevice
from mitmachen.reports import access, services
from mitmachen.reports.models import Reader, Wish

PASSPHRASE = "Rheinufer bei Nacht 2026"
KNOWN_TEXT = "Beim Plakatieren am Rheinufer hat mich XQZ-7731 bedrängt"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def enrol(user) -> TotpDevice:
    """A confirmed authenticator app for `user`."""
    device, _created = TotpDevice.objects.update_or_create(
        user=user, defaults={"secret": pyotp.random_base32(), "confirmed_at": timezone.now(),
                             "last_step": 0})
    return device


def code_for(user) -> str:
    """A valid code that was not used yet (the step counter is reset: tests unlock often)."""
    device = TotpDevice.objects.get(user=user)
    TotpDevice.objects.filter(pk=device.pk).update(last_step=0)
    return pyotp.TOTP(device.secret).now()


def make_officer(user, passphrase=PASSPHRASE, *, approve=True) -> bytes:
    """Two factors and a key pair; returns the officer's private key. The first officer of a
    channel is its reader at once; with `approve`, a later one is approved too (as a reader's
    reader_approve would, without granting earlier reports), so that new reports reach them."""
    enrol(user)
    access.officer_key_create(user=user, passphrase=passphrase)
    if approve:
        approve_reader(user)
    return access.private_key_open(user=user, passphrase=passphrase)


def approve_reader(user) -> None:
    """Approve `user` as a reader wherever they hold the officer role directly (a shortcut for
    fixtures: tests of approval itself use access.reader_approve)."""
    for organisation in access._officer_organisations(user):
        Reader.objects.get_or_create(organisation=organisation, user=user)


@pytest.fixture
def officer(world):
    """(user, private key) of Düsseldorf's anti-discrimination officer."""
    user = world.users["duesseldorf_officer"]
    return user, make_officer(user)


@pytest.fixture
def submit(world, officer):
    """submit(**fields) → (report, receipt) for Düsseldorf."""

    def _submit(organisation=None, **fields):
        data = {"what": KNOWN_TEXT, "wish": Wish.ADVICE, "when": "letzten Samstag",
                "where": "Rheinufer"}
        data.update(fields)
        return services.report_submit(organisation=organisation or world.duesseldorf, **data)

    return _submit


def pdf(name="beleg.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")
