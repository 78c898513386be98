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
VIEWER_SALT = "mitmachen.assemblies.viewer"


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


def viewer_token(participant: Participant) -> str:
    """What the phone's live view sends with every poll (`?t=`). It only reads what the hall's
    projector shows, so access logs of servers and proxies that record it hold no key to
    speaking or voting. A new nonce invalidates it together with the personal link."""
    return f"{participant.pk}-{_mac(VIEWER_SALT, f'{participant.pk}:{participant.nonce}', 32)}"


def projector_token(assembly: Assembly) -> str:
    return _mac(PROJECTOR_SALT, f"{assembly.pk}:{assembly.projector_nonce}", 32)


def _by_code(value: str, maker) -> Participant:
    invalid = ValidationError(_("This link is not valid."))
    if not isinstance(value, str) or len(value) > 80:
        raise invalid
    pk = value.partition("-")[0]
    # isdigit alone lets "²" through, which int() refuses.
    if not (pk.isascii() and pk.isdigit()):
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


def participant_by_viewer_token(token: str) -> Participant:
    return _by_code(token, viewer_token)


def projector_valid(assembly: Assembly, token: str) -> bool:
    return isinstance(token, str) and 0 < len(token) < 80 and constant_time_compare(
        projector_token(assembly), token)


def may_view(assembly: Assembly, token: str) -> bool:
    """Whether `token` may read what the hall sees of `assembly` (the live view, the agenda's
    documents): the projector's link or a participant's viewer token of this assembly. Never
    the personal link: that one stays out of query strings and so out of access logs."""
    if projector_valid(assembly, token):
        return True
    if "-" not in (token or ""):
        return False
    try:
        return participant_by_viewer_token(token).assembly_id == assembly.pk
    except ValidationError:
        return False


def may_read_documents(assembly: Assembly, token: str) -> bool:
    """Whether `?t=token` opens the agenda's documents: whoever may view, and for now the
    personal link too (pages rendered before the viewer token linked the documents with it)."""
    if may_view(assembly, token):
        return True
    try:
        return participant_by_token(token).assembly_id == assembly.pk
    except ValidationError:
        return False


def can_manage(user, assembly: Assembly) -> bool:
    return can(user, Perm.ASSEMBLY_MANAGE, assembly.organisation)


def _of_organisation(user, assembly: Assembly) -> bool:
    """Still of the assembly's organisation: a role there, or a live contact record."""
    from mitmachen.core.models import RoleAssignment
    from mitmachen.people.models import Contact

    return RoleAssignment.objects.filter(
        user=user, organisation=assembly.organisation_id).exists() or Contact.objects.filter(
        user=user, organisation=assembly.organisation_id, erased_at__isnull=True).exists()


def can_chair(user, assembly: Assembly) -> bool:
    """The board, or whoever the assembly names as chair — while the assembly is not closed and
    they are still of the organisation: the rights end with the session or with leaving."""
    if not getattr(user, "is_authenticated", False):
        return False
    return can_manage(user, assembly) or (
        assembly.chair_id == user.pk and assembly.status != Assembly.Status.CLOSED
        and _of_organisation(user, assembly))


def can_take_minutes(user, assembly: Assembly) -> bool:
    """The minute-taker keeps the minutes after the assembly closed, until they are approved
    (approved minutes change no more anyway), while still of the organisation."""
    if not getattr(user, "is_authenticated", False):
        return False
    return can_chair(user, assembly) or (
        assembly.minute_taker_id == user.pk and _of_organisation(user, assembly))


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

