"""Yes/no/abstain votes: on a motion, on the board's discharge, or on any other question.

Four methods. OPEN (show of hands) and CARDS (voting cards): the chair enters the counts.
ELECTRONIC (named) and SECRET: present voters vote on their phones, one vote each, enforced by
the database (VoteCast's unique constraint). A named vote keeps the choice on the VoteCast. A
secret vote keeps only *that* someone voted on the VoteCast and the choice on a Ballot with a
random key and no voter, no time; at the close the ballot box is shuffled (the ballots are
written anew in random order with new keys) so that neither the order of the rows nor the
inserting transaction leads back to a VoteCast (docs/decisions/0016-secret-ballots.md).

Locks: a cast holds its vote's row FOR SHARE (on PostgreSQL; SQLite runs one write transaction
at a time anyway), so casts run side by side and meet only at the live bump, the assembly row's
update at their very end. Opening, counting and closing take the vote's row FOR UPDATE and then
the assembly's: a close waits for the casts under way, and a cast after it finds the vote
closed, so a ballot is either in the count or refused. Vote writes always lock the vote before
the assembly (the order a cast must take them in), never the other way round.

A cast reads `present` early, but a check-out (attendance: the assembly's row, then the
participant's) may commit after that read. The cast therefore reads `present` again after its
live bump, which holds the assembly's row: from then on no check-out can commit before the
cast does. Locking the participant's row instead would cross the check-out's order (assembly,
then participant) with the cast's (participant, then the assembly at the bump): a deadlock.
"""

from collections import Counter

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from mitmachen.assemblies import ballot_box, live
from mitmachen.assemblies.models import (
    AgendaItem,
    Assembly,
    Ballot,
    Election,
    Majority,
    Motion,
    Participant,
    Resolution,
    Vote,
    VoteCast,
)
from mitmachen.assemblies.rules import majority as majority_rules
from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry, RoleAssignment
from mitmachen.core.roles import Role
from mitmachen.organisations.models import Organisation

M, S = Vote.Method, Vote.Status
CHOICES = ("yes", "no", "abstain")
ON_PHONES = (M.ELECTRONIC, M.SECRET)
MAX_COUNT = 1_000_000
BALLOT_CAST = "a ballot was cast"  # the audit row of a secret cast: no choice, ever


def _not_checked_in() -> str:
    return _("You are not checked in. Please check in at the door first.")


def _audit(vote: Vote, actor, changes: dict, action=AuditEntry.Action.UPDATE, repr_=""):
    audit_record(actor=actor, action=action, obj=vote, organisation=vote.assembly.organisation,
                 changes=changes, object_repr=repr_)


def _lock(vote: Vote) -> tuple[Assembly, Vote]:
    """The vote's row, then the assembly's, both FOR UPDATE (inside transaction.atomic)."""
    locked = Vote.objects.select_for_update().get(pk=vote.pk)
    assembly = Assembly.objects.select_for_update().select_related("organisation").get(
        pk=locked.assembly_id)
    locked.assembly = assembly
    return assembly, locked


def _share(vote: Vote) -> Vote:
    """The vote's row FOR SHARE (inside transaction.atomic): many casts at once, no close
    meanwhile. Django's ORM has no FOR SHARE, hence the statement."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(Vote._meta.db_table)} "  # noqa: S608
                           "WHERE id = %s FOR SHARE", [vote.pk])
    return Vote.objects.get(pk=vote.pk)


def is_board_member(participant: Participant) -> bool:
    """Whether the participant's account holds the board role of the assembly's organisation:
    the board being discharged does not vote on its discharge."""
    user_id = participant.contact.user_id if participant.contact_id else None
    return user_id is not None and RoleAssignment.objects.filter(
        user_id=user_id, organisation_id=participant.assembly.organisation_id,
        role=Role.BOARD).exists()


def voters_for(vote: Vote):
    """The present voters who may vote on `vote` now (without the board on its discharge)."""
    voters = Participant.objects.filter(assembly_id=vote.assembly_id,
                                        kind=Participant.Kind.VOTER, present=True)
    if vote.subject == Vote.Subject.DISCHARGE:
        board = RoleAssignment.objects.filter(
            user=OuterRef("contact__user"), organisation_id=vote.assembly.organisation_id,
            role=Role.BOARD)
        voters = voters.annotate(on_board=Exists(board)).filter(on_board=False)
    return voters


# --- creating and opening --------------------------------------------------------------------

def vote_create(*, assembly: Assembly, question="", method, majority=Majority.SIMPLE, actor,
                motion: Motion | None = None, subject=None,
                item: AgendaItem | None = None) -> Vote:
    """Prepare a vote. On a motion the question defaults to the motion's title; the discharge
    to "Discharge of the board"."""
    from mitmachen.assemblies.motions import clean_text

    if subject is None:
        subject = Vote.Subject.MOTION if motion is not None else Vote.Subject.OTHER
    if not isinstance(subject, str) or subject not in Vote.Subject.values:
        raise ValidationError({"subject": _("Choose what the vote is about.")})
    if not isinstance(method, str) or method not in M.values:
        raise ValidationError({"method": _("Choose how the vote is taken.")})
    if not isinstance(majority, str) or majority not in Majority.values:
        raise ValidationError({"majority": _("Choose the majority required.")})
    if item is not None and (not isinstance(item, AgendaItem) or item.assembly_id != assembly.pk):
        raise ValidationError({"item": _("Choose an item of this assembly.")})
    if subject == Vote.Subject.MOTION:
        if not isinstance(motion, Motion) or motion.assembly_id != assembly.pk:
            raise ValidationError({"motion": _("Choose a motion of this assembly.")})
        question = question or _("Motion %(number)s: %(title)s") % {
            "number": motion.number, "title": motion.title}
        item = item or motion.item
    elif motion is not None:
        raise ValidationError({"motion": _("Only a vote on a motion names a motion.")})
    elif subject == Vote.Subject.DISCHARGE:
        question = question or _("Discharge of the board")
    question = clean_text(question, "question")
    with transaction.atomic():
        locked = Assembly.objects.select_for_update().select_related("organisation").get(
            pk=assembly.pk)
        if locked.status == Assembly.Status.CLOSED:
            raise ValidationError(_("The assembly is closed; its record can no longer change."))
        if motion is not None:
            # Read under the assembly's lock, which every motion service takes too.
            motion.refresh_from_db(fields=["status"])
            if motion.status != Motion.Status.ADMITTED:
                raise ValidationError({"motion": _(
                    "Motion %(number)s is “%(status)s”: only an admitted motion is put to the "
                    "vote.") % {"number": motion.number,
                                "status": motion.get_status_display()}})
        if motion is not None and Vote.objects.filter(motion=motion).exclude(
                status=S.CLOSED).exists():
            raise ValidationError({"motion": _("Motion %(number)s already has a vote under "
                                               "way.") % {"number": motion.number}})
        vote = Vote(assembly=locked, motion=motion, subject=subject, question=question[:500],
                    method=method, majority=majority, item=item)
        vote.full_clean(exclude=["adopted"])  # undecided: None (the field lacks blank=True)
        vote.save()
        _audit(vote, actor, {"method": [None, method], "majority": [None, majority]},
               action=AuditEntry.Action.CREATE)
        live.bump(locked.pk)
    return vote


def vote_delete(*, vote: Vote, actor) -> None:
    """Remove a vote prepared by mistake; once opened it stays on record."""
    with transaction.atomic():
        assembly, locked = _lock(vote)
        if locked.status != S.PREPARED:
            raise ValidationError(_("Only a vote that has not been opened can be deleted."))
        _audit(locked, actor, {}, action=AuditEntry.Action.DELETE)
        locked.delete()
        live.bump(assembly.pk)


def vote_open(*, vote: Vote, actor) -> Vote:
    """Start voting. Records how many voters are present (the most votes possible); phones
    accept ballots only from now on, and one phone vote or secret election at a time."""
    with transaction.atomic():
        assembly, locked = _lock(vote)
        if assembly.status != Assembly.Status.IN_SESSION:
            raise ValidationError(_("Votes are taken while the assembly is in session."))
        if locked.status != S.PREPARED:
            raise ValidationError(_("This vote has already been opened."))
        if locked.motion_id and Motion.objects.filter(
                pk=locked.motion_id).exclude(status=Motion.Status.ADMITTED).exists():
            raise ValidationError(_("The motion is no longer admitted to the vote."))
        if locked.method in ON_PHONES and (
                Vote.objects.filter(assembly=assembly, status=S.OPEN,
                                    method__in=ON_PHONES).exists()
                or Election.objects.filter(assembly=assembly, status=Election.Status.VOTING,
                                           method=Election.Method.SECRET).exists()):
            raise ValidationError(_("Another vote or election on the phones is open: close it "
                                    "first."))
        locked.status = S.OPEN
        locked.opened_at = timezone.now()
        locked.eligible_at_open = voters_for(locked).count()
        locked.save(update_fields=["status", "opened_at", "eligible_at_open", "updated_at"])
        _audit(locked, actor, {"status": [S.PREPARED, S.OPEN],
                               "eligible_at_open": [None, locked.eligible_at_open]})
        live.bump(assembly.pk)
    return locked


# --- casting ---------------------------------------------------------------------------------

def vote_cast(*, vote: Vote, participant: Participant, choice) -> VoteCast:
    """A present voter's vote from their phone. A second one is refused (by the database, if two
    arrive at once). For a secret vote the choice goes only into an unlinked Ballot."""
    if not isinstance(choice, str) or choice not in CHOICES:
        raise ValidationError({"choice": _("Choose yes, no or abstain.")})
    if not isinstance(participant, Participant) or participant.assembly_id != vote.assembly_id:
        raise ValidationError(_("You are not a participant of this assembly."))
    try:
        with transaction.atomic():
            locked = _share(vote)
            assembly = Assembly.objects.only("id", "status", "organisation_id").get(
                pk=locked.assembly_id)
            voter = Participant.objects.get(pk=participant.pk)
            voter.assembly = locked.assembly = assembly
            _check_voter(locked, voter)
            if VoteCast.objects.filter(vote=locked, participant=voter).exists():
                raise ValidationError(_("You have already voted."))
            secret = locked.method == M.SECRET
            cast = VoteCast.objects.create(vote=locked, participant=voter,
                                           choice="" if secret else choice)
            if secret:
                Ballot.objects.create(vote=locked, choice=choice)
                changes = {"participant": [None, voter.pk]}
            else:
                changes = {"participant": [None, voter.pk], "choice": [None, choice]}
            # The voter has no account here (the personal link), so no actor. The organisation
            # by its key only: loading it would cost a query per ballot.
            audit_record(actor=None, action=AuditEntry.Action.UPDATE, obj=locked,
                         organisation=Organisation(pk=assembly.organisation_id),
                         changes=changes, object_repr=BALLOT_CAST if secret else "")
            live.bump(assembly.pk)  # last: the assembly's row lock is held only until commit
            # Under the assembly's row lock now (see the module docstring): a check-out that
            # committed since _check_voter read `present` is seen here, and the ballot goes.
            if not Participant.objects.filter(pk=voter.pk, present=True).exists():
                raise ValidationError(_not_checked_in())
    except IntegrityError:
        # Two casts at the same moment: the unique constraint let the first in.
        raise ValidationError(_("You have already voted.")) from None
    return cast


def _check_voter(vote: Vote, voter: Participant) -> None:
    if vote.status != S.OPEN or vote.assembly.status != Assembly.Status.IN_SESSION:
        raise ValidationError(_("This vote is not open."))
    if vote.method not in ON_PHONES:
        raise ValidationError(_("This vote is counted in the hall, not on the phones."))
    if voter.kind != Participant.Kind.VOTER:
        raise ValidationError(_("Guests do not vote."))
    if not voter.present:
        raise ValidationError(_not_checked_in())
    if vote.subject == Vote.Subject.DISCHARGE and is_board_member(voter):
        raise ValidationError(_("Members of the board being discharged do not vote on their "
                                "discharge."))


def may_vote(vote: Vote, participant: Participant) -> str:
    """"" when the participant may cast a vote now, otherwise the reason (for the phone)."""
    try:
        _check_voter(vote, participant)
    except ValidationError as exc:
        return " ".join(exc.messages)
    return ""


# --- counting --------------------------------------------------------------------------------

def _count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({name: _("Enter a whole number.")})
    if value < 0 or value > MAX_COUNT:
        raise ValidationError({name: _("Enter a number between 0 and %(max)d.")
                                     % {"max": MAX_COUNT}})
    return value


def vote_count_enter(*, vote: Vote, yes, no, abstain, actor) -> Vote:
    """The chair's count of an open vote or a card count. The counts may be corrected until the
    vote is closed; together they cannot exceed the voters present when voting opened."""
    counts = {"yes": _count(yes, "yes"), "no": _count(no, "no"),
              "abstain": _count(abstain, "abstain")}
    with transaction.atomic():
        assembly, locked = _lock(vote)
        if locked.method in ON_PHONES:
            raise ValidationError(_("The phones count this vote; there is nothing to enter."))
        if locked.status != S.OPEN:
            raise ValidationError(_("Counts are entered while the vote is open."))
        present = locked.eligible_at_open or 0
        if sum(counts.values()) > present:
            raise ValidationError(_(
                "%(total)d votes counted, but only %(present)d voters were present when the "
                "vote opened. Please count again.") % {"total": sum(counts.values()),
                                                       "present": present})
        before = {name: getattr(locked, name) for name in counts}
        for name, value in counts.items():
            setattr(locked, name, value)
        locked.save(update_fields=[*counts, "updated_at"])
        _audit(locked, actor, {name: [before[name], counts[name]] for name in counts
                               if before[name] != counts[name]})
        live.bump(assembly.pk)
    return locked


def _tally_phones(vote: Vote) -> tuple[Counter, int, int]:
    """The choices, the number of casts and of ballots. A secret vote's ballot box is shuffled
    first: new keys, written in random order, the old rows gone (see the module docstring)."""
    casts = VoteCast.objects.filter(vote=vote).count()
    if vote.method == M.ELECTRONIC:
        choices = Counter(VoteCast.objects.filter(vote=vote).values_list("choice", flat=True))
        return choices, casts, 0
    box = ballot_box.shuffle(vote=vote)
    choices = Counter(choice for choice, invalid in box if not invalid)
    return choices, casts, len(box)


def vote_close(*, vote: Vote, actor) -> Vote:
    """End voting, count, decide by the majority rule, and record the outcome: the motion's
    status and an entry in the organisation's register of resolutions.

    A vote on a motion that is no longer admitted when the vote closes (withdrawn or referred
    meanwhile, which the motion services refuse while the vote is open, but a row may still be
    changed by hand) closes with *no decision*: the counts are kept, `adopted` stays None, the
    motion keeps its status and no resolution is written. Closing rather than refusing: a vote
    that cannot be closed would stay open for good and block every other vote on the phones."""
    with transaction.atomic():
        assembly, locked = _lock(vote)
        if locked.status != S.OPEN:
            raise ValidationError(_("Only an open vote can be closed."))
        # Read under the assembly's lock, which every motion service takes too.
        decides = locked.motion_id is None or Motion.objects.filter(
            pk=locked.motion_id, status=Motion.Status.ADMITTED).exists()
        record = {"status": [S.OPEN, S.CLOSED]}
        if locked.method in ON_PHONES:
            choices, casts, ballots = _tally_phones(locked)
            if set(choices) - set(CHOICES):
                raise ValidationError(_("The ballot box holds an unknown choice; the vote stays "
                                        "open."))
            if locked.method == M.SECRET and ballots != casts:
                # Cannot happen: cast and ballot are written in one transaction.
                raise ValidationError(_(
                    "%(ballots)d ballots for %(casts)d voters: the count does not verify, the "
                    "vote stays open.") % {"ballots": ballots, "casts": casts})
            locked.yes, locked.no, locked.abstain = (choices["yes"], choices["no"],
                                                     choices["abstain"])
            if locked.yes + locked.no + locked.abstain != casts:
                raise ValidationError(_("The count does not match the number of voters; the "
                                        "vote stays open."))
            record.update(casts=[None, casts], ballots=[None, ballots])
        elif locked.yes + locked.no + locked.abstain == 0:
            raise ValidationError(_("Enter the counts before closing the vote."))
        locked.adopted = outcome_of(locked).adopted if decides else None
        locked.status = S.CLOSED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at", "yes", "no", "abstain", "adopted",
                                   "updated_at"])
        record.update(yes=[None, locked.yes], no=[None, locked.no],
                      abstain=[None, locked.abstain], adopted=[None, locked.adopted])
        if not decides:
            record["no_decision"] = [None, "motion not admitted at the close"]
        _audit(locked, actor, record)
        if decides:
            _record_outcome(locked, assembly, actor)
        live.bump(assembly.pk)
    return locked


def outcome_of(vote: Vote) -> majority_rules.Outcome:
    return majority_rules.decide(yes=vote.yes, no=vote.no, abstain=vote.abstain,
                                 rule=vote.majority)


def explanation(vote: Vote) -> str:
    """Why the vote adopted or rejected, in the current language ("" before it closed)."""
    if vote.status != S.CLOSED:
        return ""
    if vote.adopted is None:
        return _("No decision: the motion was no longer admitted to the vote when voting "
                 "closed.")
    note = outcome_of(vote).explanation
    return _(note.msgid) % note.params


def result_text(vote: Vote) -> str:
    """"adopted: 23 yes, 4 no, 2 abstentions (simple majority)", for the register."""
    return _("%(outcome)s: %(yes)d yes, %(no)d no, %(abstain)d abstentions (%(majority)s)") % {
        "outcome": _("adopted") if vote.adopted else _("rejected"), "yes": vote.yes,
        "no": vote.no, "abstain": vote.abstain, "majority": Majority(vote.majority).label}


def _record_outcome(vote: Vote, assembly: Assembly, actor) -> None:
    """A decided motion's status and its resolution; a resolution for an adopted discharge."""
    if vote.motion_id:
        motion = Motion.objects.get(pk=vote.motion_id)
        status = Motion.Status.ADOPTED if vote.adopted else Motion.Status.REJECTED
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=motion,
                     organisation=assembly.organisation,
                     changes={"status": [motion.status, status]})
        Motion.objects.filter(pk=motion.pk).update(status=status, updated_at=timezone.now())
        resolution_create(vote=vote, assembly=assembly, title=f"{motion.number} {motion.title}",
                          text=motion.text, actor=actor)
    elif vote.subject == Vote.Subject.DISCHARGE and vote.adopted:
        resolution_create(vote=vote, assembly=assembly, title=_("Discharge of the board"),
                          text=vote.question, actor=actor)


def resolution_create(*, vote: Vote, assembly: Assembly, title: str, text: str,
                      actor) -> Resolution:
    """The next entry of the organisation's register: "2025/07" is the year's seventh."""
    with transaction.atomic():
        # The organisation's row keeps two assemblies of one year from taking the same number.
        Organisation.objects.select_for_update().get(pk=assembly.organisation_id)
        decided = timezone.localdate()
        prefix = f"{decided.year}/"
        taken = [number.removeprefix(prefix) for number in Resolution.objects.filter(
            organisation_id=assembly.organisation_id, number__startswith=prefix).values_list(
            "number", flat=True)]
        # isascii: "²".isdigit() is True, but int("²") raises.
        serial = max([int(n) for n in taken if n.isascii() and n.isdigit()] or [0]) + 1
        resolution = Resolution(organisation=assembly.organisation, assembly=assembly, vote=vote,
                                number=f"{prefix}{serial:02d}", title=title[:200], text=text,
                                decided_on=decided, result=result_text(vote)[:200])
        resolution.full_clean()
        resolution.save()
        audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=resolution)
    return resolution
