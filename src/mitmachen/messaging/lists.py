"""Distribution lists ("Verteiler"): who may be reached on a messenger, built from consents."""

from mitmachen.people.models import Consent
from mitmachen.people.selectors import reachable

MESSENGERS = [Consent.Channel.SIGNAL, Consent.Channel.WHATSAPP]


def distribution_list(organisation, channel: str, group=None):
    """People with consent for the distribution list on `channel` (and in `group`, if given)."""
    if channel not in MESSENGERS:
        raise ValueError(f"not a messenger: {channel}")
    people = reachable(organisation, channel, Consent.Purpose.DISTRIBUTION_LIST)
    if group is not None:
        people = people.filter(group_memberships__group=group)
    return people.order_by("last_name", "first_name", "id").distinct()
