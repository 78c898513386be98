"""Reads over contacts that are more than a filter."""

from __future__ import annotations

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Upper

from mitmachen.people.models import Consent, Contact

# The address a channel needs on the contact record.
CHANNEL_ADDRESS = {
    Consent.Channel.EMAIL: "email",
    Consent.Channel.POST: "street",
    Consent.Channel.PHONE: "phone",
    Consent.Channel.SMS: "phone",
    Consent.Channel.SIGNAL: "messenger_phone",
    Consent.Channel.WHATSAPP: "messenger_phone",
}


def _latest(channel: str, purpose: str):
    return Consent.objects.filter(contact=OuterRef("pk"), channel=channel,
                                  purpose=purpose).order_by("-created_at", "-id")


def reachable(organisation, channel: str, purpose: str) -> QuerySet[Contact]:
    """Who may be reached on `channel` for `purpose`: the one answer messaging relies on.

    The newest consent for that channel and purpose must be a grant, the contact must have an
    address for the channel, and e-mail to anyone who is not a member needs a double opt-in.
    """
    if channel not in CHANNEL_ADDRESS or purpose not in Consent.Purpose.values:
        raise ValueError(f"unknown channel or purpose: {channel}/{purpose}")
    latest = _latest(channel, purpose)
    queryset = (
        Contact.objects.filter(organisation=organisation, erased_at__isnull=True)
        .exclude(**{CHANNEL_ADDRESS[channel]: ""})
        .annotate(consent_granted=Subquery(latest.values("granted")[:1]),
                  consent_source=Subquery(latest.values("source")[:1]),
                  consent_address=Subquery(latest.values("address")[:1]))
        .filter(consent_granted=True)
    )
    if channel == Consent.Channel.EMAIL:
        # The opt-in covers the address that was confirmed, not one entered later.
        queryset = queryset.filter(Q(status=Contact.Status.MEMBER) |
                                   Q(consent_source=Consent.Source.DOUBLE_OPT_IN,
                                     consent_address=F("email")))
    return queryset


def consent_state(contact: Contact) -> dict[tuple[str, str], Consent]:
    """The newest consent row per (channel, purpose) of one contact."""
    state: dict[tuple[str, str], Consent] = {}
    for consent in contact.consents.order_by("-created_at", "-id"):
        state.setdefault((consent.channel, consent.purpose), consent)
    return state


# What the contact list shows: loading only these keeps the rows that are sorted and counted
# narrow (the export and the API load whole records).
LIST_FIELDS = ["id", "organisation_id", "first_name", "last_name", "email", "phone", "status",
               "district__name"]


def search(organisation, *, text: str = "", status: str = "", district_id: int | None = None,
           group_id: int | None = None, consent: str = "", order: str = "name") -> QuerySet:
    """The staff contact list: a fragment of name, e-mail or phone, plus filters."""
    queryset = Contact.objects.filter(organisation=organisation, erased_at__isnull=True)
    text = text.strip()
    if text:
        condition = (Q(first_name__icontains=text) | Q(last_name__icontains=text) |
                     Q(email__icontains=text))
        digits = "".join(ch for ch in text if ch.isdigit())
        if len(digits) >= 3:
            # "0561 92" finds "+4956192…": compare without the national prefix.
            condition |= Q(phone__icontains=digits.lstrip("0")) | Q(
                messenger_phone__icontains=digits.lstrip("0"))
        if " " in text:
            first, _, last = text.partition(" ")
            condition |= Q(first_name__icontains=first, last_name__icontains=last.strip())
        queryset = queryset.filter(condition)
    if status:
        queryset = queryset.filter(status=status)
    if district_id:
        queryset = queryset.filter(district_id=district_id)
    if group_id:
        queryset = queryset.filter(group_memberships__group_id=group_id)
    if consent:
        channel, _, purpose = consent.partition(":")
        queryset = queryset.filter(pk__in=reachable(organisation, channel, purpose).values("pk"))
    if text:
        # Sorting by an expression no index covers makes PostgreSQL take the trigram matches
        # first and sort only those; sorting by the plain columns invites it to walk the whole
        # name index instead (seconds at a million contacts). It also sorts case-insensitively.
        by_name = [Upper("last_name"), Upper("first_name"), "id"]
        by_name_desc = [Upper("last_name").desc(), Upper("first_name").desc(), "-id"]
    else:
        by_name, by_name_desc = ["last_name", "first_name", "id"], ["-last_name", "-first_name",
                                                                     "-id"]
    orderings = {
        "name": by_name,
        "-name": by_name_desc,
        "created": ["created_at", "id"],
        "-created": ["-created_at", "-id"],
        "status": ["status", "last_name", "id"],
    }
    return queryset.select_related("district").order_by(*orderings.get(order, orderings["name"]))
