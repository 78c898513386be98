"""Who may act on an assembly, and the secrets in participants' and the projector's links."""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from mitmachen.assemblies.models import Assembly, Participant
from mitmachen.core.permissions import can, require
from mitmachen.core.roles import Perm

PARTICIPANT_SALT = "mitmachen.assemblies.participant"
CHECKIN_SALT = "mitmachen.assemblies.checkin"
PROJECTOR_SALT = "mitmachen.assemblies.projector"


def _mac(salt: str, value: str, length: int) -> str:
    return salted_hmac(salt, value).hexdigest()[:length]


def participant_token(participant: Participant) -> str:
    """The participant's personal link (their phone's key to the live view, the speakers' list
    and voting). Derived, not stored; a new nonce invalidates it."""
    return f"{participant.pk}-{_mac(PARTICIPANT_SALT, f'{participant.pk}:{participant.nonce}', 32)}"


def checkin_code(participant: Participant) -> str:
    """What the member's QR code holds. Different from the personal link, so whoever scans it
    at the door cannot vote in the member's name; only staff can use it."""
    return f"{participant.pk}-{_mac(CHECKIN_SALT, f'{participant.pk}:{participant.nonce}', 16)}"


def projector_token(assembly: Assembly) -> str:
    return _mac(PROJECTOR_SALT, f"{assembly.pk}:{assembly.projector_nonce}", 32)


def _by_code(value: str, maker) -> Participant:
    invalid = ValidationError(_("This link is not valid."))
    pk, _sep, mac = (value or "").partition("-")
    if not pk.isdigit() or len(value) > 80:
        raise invalid
    participant = Participant.objects.select_related("assembly", "assembly__organisation",
                                                     "assembly__event").filter(
        pk=int(pk)).first()
    if participant is None or not constant_time_compare(maker(participant), value):
        raise invalid
    return participant


def participant_by_token(token: str) -> Participant:
    return _by_code(token, participant_token)


def participant_by_checkin_code(code: str) -> Participant:
    return _by_code(code, checkin_code)


def projector_valid(assembly: Assembly, token: str) -> bool:
    return bool(token) and len(token) < 80 and constant_time_compare(projector_token(assembly),
                                                                     token)


def can_manage(user, assembly: Assembly) -> bool:
    return can(user, Perm.ASSEMBLY_MANAGE, assembly.organisation)


def can_chair(user, assembly: Assembly) -> bool:
    """The board, or whoever the assembly names as chair."""
    return bool(getattr(user, "is_authenticated", False)) and (
        assembly.chair_id == user.pk or can_manage(user, assembly))


def can_take_minutes(user, assembly: Assembly) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        assembly.minute_taker_id == user.pk or can_chair(user, assembly))


def staff_assembly(request, slug: str, pk: int, perm: str = Perm.ASSEMBLY_MANAGE,
                   *, chair_ok: bool = False, minutes_ok: bool = False) -> Assembly:
    """The assembly behind a staff URL, or 404/403. With chair_ok the assembly's chair, with
    minutes_ok its minute-taker too, may act without the organisation role."""
    from mitmachen.organisations.models import Organisation

    organisation = get_object_or_404(Organisation, slug=slug)
    assembly = get_object_or_404(
        Assembly.objects.select_related("event", "organisation", "current_item"),
        organisation=organisation, pk=pk)
    user = request.user
    if (chair_ok and can_chair(user, assembly)) or (minutes_ok and can_take_minutes(user,
                                                                                   assembly)):
        request.session["staff_org"] = organisation.slug
        return assembly
    require(request, perm, organisation)
    request.session["staff_org"] = organisation.slug
    return assembly

