"""Board and list elections: candidates, voting by secret electronic ballot or on paper, and
the result with reserved places and a minimum share of women/FLINTA*.

The result comes from `rules.quota.allocate` and from nowhere else, so the quota is applied the
same way on every path (electronic, paper, run-off) and its guarantees hold for each.

Secret ballots (docs/decisions/0016-secret-ballots.md): a VoteCast row says who voted (one per
person, enforced by the database), a Ballot row says what was chosen, and nothing joins the two:
the ballot has a random key, no voter and no time, and audit rows never hold a choice. While
voting is open the database's own order of rows could still hint at who cast which ballot, so
counting first shuffles the ballot box (`ballot_box.shuffle`: every ballot written anew, in
random order with new keys, the old rows deleted, in the transaction that counts, and the
database files cleared of them after the commit). The count of ballots must equal the count of
voters who cast one; the check is part of the recorded result.

Lock order: every election service takes the assembly's row, then the election's (candidates
after that), all FOR UPDATE; the assembly is locked alone (`of=("self",)`), not with its
organisation. Casting takes the same locks as counting, so a ballot is either in the count or
refused, and the ballots of an assembly's elections are written one at a time. votes.py goes
the other way round for its own rows (the vote's row first, FOR SHARE while casting, then the
assembly's), so that its casts can run side by side. The two orders never wait for each other
crosswise: no election service locks a vote and no vote service locks an election; they meet
only at the assembly's row.
"""

from fractions import Fraction
from math import ceil

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mitmachen.assemblies import ballot_box, live
from mitmachen.assemblies.models import (
    AgendaItem,
    Assembly,
    Ballot,
    Candidate,
    Election,
    Participant,
    QuotaCategory,
    Vote,
    VoteCast,
)
from mitmachen.assemblies.rules import quota
from mitmachen.core.audit import audit_record, changes_between, snapshot
from mitmachen.core.models import AuditEntry
from mitmachen.core.validators import reject_nul

FIELDS = ["title", "kind", "seats", "reserved", "min_share", "fallback", "method",
          "votes_per_ballot", "min_votes", "item"]
MAX_ELECTIONS = 100
MAX_CANDIDATES = 500
MAX_VOTES = 1_000_000
TITLE_LENGTH = 200
BALLOT_CAST = "a ballot was cast"  # the audit row of a secret cast: no choice, ever


# --- checks --------------------------------------------------------------------------------

def _text(value, *, required: bool = True, length: int = TITLE_LENGTH) -> str:
    """A cleaned single line, or a ValidationError (without field: the caller files it)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(_("Enter a text."))
    reject_nul(value)
    value = value.strip()
    if required and not value:
        raise ValidationError(_("This field is required."))
    if len(value) > length:
        raise ValidationError(_("Please use at most %(n)d characters.") % {"n": length})
    return value


def _whole(value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(_("Enter a whole number."))
    if not low <= value <= high:
        raise ValidationError(_("Enter a number from %(low)d to %(high)d.") % {
            "low": low, "high": high})
    return value


def _checked(assembly: Assembly, data: dict) -> dict:
    """The election's settings, validated all at once so a form can show every mistake."""
    errors: dict[str, list] = {}
    clean: dict = {}

    def check(name, fn):
        try:
            clean[name] = fn(data.get(name))
        except ValidationError as exc:
            errors.setdefault(name, []).extend(exc.messages)

    def choice(choices):
        def fn(value):
            if value not in choices.values:
                raise ValidationError(_("Choose a valid option."))
            return value
        return fn

    check("title", _text)
    check("kind", choice(Election.Kind))
    check("reserved", choice(Election.Reserved))
    check("fallback", choice(Election.Fallback))
    check("method", choice(Election.Method))
    check("seats", lambda v: _whole(v, 1, 200))
    check("min_share", lambda v: _whole(v, 0, 100))
    check("min_votes", lambda v: _whole(v, 1, MAX_VOTES))
    seats = clean.get("seats", 200)
    check("votes_per_ballot", lambda v: None if v is None else _whole(v, 1, seats))

    def item(value):
        if value is None:
            return None
        if not isinstance(value, AgendaItem) or value.assembly_id != assembly.pk:
            raise ValidationError(_("Choose an item of this assembly."))
        return value

    check("item", item)
    if errors:
        raise ValidationError(errors)
    return clean


def _audit(*, actor, action: str, obj, assembly: Assembly, changes: dict | None = None,
           what: str = "") -> None:
    # Elections and candidates carry no organisation of their own: file them with the
    # assembly's, so the organisation's audit log shows them.
    audit_record(actor=actor, action=action, obj=obj, organisation=assembly.organisation,
                 changes=changes, object_repr=what)


def _assembly_open(assembly: Assembly) -> None:
    if assembly.status == Assembly.Status.CLOSED:
        raise ValidationError(_("The assembly is closed; its record can no longer change."))


def _locked(election: Election) -> Election:
    """The assembly's row, then the election's (call inside transaction.atomic)."""
    assembly = Assembly.objects.select_for_update(of=("self",)).select_related(
        "organisation").get(pk=election.assembly_id)
    locked = Election.objects.select_for_update().get(pk=election.pk)
    locked.assembly = assembly
    return locked


def _nominating(election: Election) -> None:
    if election.status != Election.Status.NOMINATING:
        raise ValidationError(_("Voting has started: the election can no longer change."))


def present_voters(assembly_id: int) -> int:
    return Participant.objects.filter(assembly_id=assembly_id, kind=Participant.Kind.VOTER,
                                      present=True).count()


# --- elections and candidates -----------------------------------------------------------------

def election_create(*, assembly: Assembly, title: str, kind: str, seats: int, reserved: str,
                    min_share: int, fallback: str, method: str,
                    votes_per_ballot: int | None = None, min_votes: int = 1,
                    item: AgendaItem | None = None, actor) -> Election:
    """A new election in nominations. `min_share` is a percentage (50 = half of the filled
    places for women/FLINTA*); `votes_per_ballot` None means as many as there are places."""
    data = _checked(assembly, {
        "title": title, "kind": kind, "seats": seats, "reserved": reserved,
        "min_share": min_share, "fallback": fallback, "method": method,
        "votes_per_ballot": votes_per_ballot, "min_votes": min_votes, "item": item})
    with transaction.atomic():
        locked = Assembly.objects.select_for_update().get(pk=assembly.pk)
        _assembly_open(locked)
        if Election.objects.filter(assembly=assembly).count() >= MAX_ELECTIONS:
            raise ValidationError(_("An assembly holds at most %(n)d elections.") % {
                "n": MAX_ELECTIONS})
        election = Election(assembly=assembly, **data)
        election.full_clean()
        election.save()
        _audit(actor=actor, action=AuditEntry.Action.CREATE, obj=election, assembly=assembly,
               changes={name: [None, value] for name, value in
                        snapshot(election, FIELDS).items()})
        live.bump(assembly.pk)
    return election


def election_update(*, election: Election, data: dict, actor) -> Election:
    """Change the settings while nominations are open."""
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValueError(f"fields not editable here: {sorted(unknown)}")
    with transaction.atomic():
        locked = _locked(election)
        _assembly_open(locked.assembly)
        _nominating(locked)
        merged = {name: getattr(locked, name) for name in FIELDS}
        merged.update(data)
        clean = _checked(locked.assembly, merged)
        before = snapshot(locked, FIELDS)
        for name, value in clean.items():
            setattr(locked, name, value)
        locked.full_clean()
        changes = changes_between(before, snapshot(locked, FIELDS))
        if changes:
            locked.save()
            _audit(actor=actor, action=AuditEntry.Action.UPDATE, obj=locked,
                   assembly=locked.assembly, changes=changes)
            live.bump(locked.assembly_id)
    return locked


def candidate_add(*, election: Election, name: str = "", category: str = "", actor,
                  participant: Participant | None = None) -> Candidate:
    """Nominate someone. A participant of this assembly counts for the quota as the list of
    participants says; anyone else (lists may hold non-members) needs a name and a category."""
    errors: dict[str, list] = {}
    try:
        name = _text(name, required=participant is None)
    except ValidationError as exc:
        errors["name"] = exc.messages
    if participant is not None:
        if not isinstance(participant, Participant) or \
                participant.assembly_id != election.assembly_id:
            raise ValidationError({"participant": _("Choose a participant of this assembly.")})
        name = name or participant.name
        category = participant.quota_category or category
    if category not in QuotaCategory.values:
        errors["category"] = [_("Choose whether the candidate counts as women/FLINTA* or "
                                "open.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _locked(election)
        _assembly_open(locked.assembly)
        _nominating(locked)
        standing = locked.candidates.filter(withdrawn=False)
        if participant is not None and standing.filter(participant=participant).exists():
            raise ValidationError({"participant": _("%(name)s is already a candidate.") % {
                "name": participant.name}})
        if locked.candidates.count() >= MAX_CANDIDATES:
            raise ValidationError(_("An election has at most %(n)d candidates.") % {
                "n": MAX_CANDIDATES})
        nominated = (locked.candidates.aggregate(m=Max("nominated"))["m"] or 0) + 1
        candidate = Candidate.objects.create(election=locked, participant=participant,
                                             name=name, category=category,
                                             nominated=nominated)
        _audit(actor=actor, action=AuditEntry.Action.CREATE, obj=candidate,
               assembly=locked.assembly, what=f"{name} ({locked.title})"[:200],
               changes={"name": [None, name], "category": [None, category]})
        live.bump(locked.assembly_id)
    return candidate


def candidate_withdraw(*, candidate: Candidate, actor) -> Candidate:
    with transaction.atomic():
        locked = _locked(candidate.election)
        _assembly_open(locked.assembly)
        _nominating(locked)
        candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
        if not candidate.withdrawn:
            candidate.withdrawn = True
            candidate.save(update_fields=["withdrawn"])
            _audit(actor=actor, action=AuditEntry.Action.UPDATE, obj=candidate,
                   assembly=locked.assembly, what=f"{candidate.name} ({locked.title})"[:200],
                   changes={"withdrawn": [False, True]})
            live.bump(locked.assembly_id)
    return candidate


# --- voting ------------------------------------------------------------------------------------

ELECTRONIC_VOTES = [Vote.Method.ELECTRONIC, Vote.Method.SECRET]


def election_open(*, election: Election, actor) -> Election:
    """Start voting. Only one electronic vote or election runs at a time per assembly: a phone
    shows one ballot, and the count of who is present must mean one thing."""
    with transaction.atomic():
        locked = _locked(election)
        assembly = locked.assembly
        if locked.status != Election.Status.NOMINATING:
            raise ValidationError(_("Voting has already been opened."))
        if assembly.status != Assembly.Status.IN_SESSION:
            raise ValidationError(_("Voting can only open while the assembly is in session."))
        if not locked.candidates.filter(withdrawn=False).exists():
            raise ValidationError(_("Nominate at least one candidate first."))
        if locked.method == Election.Method.SECRET and (
                Election.objects.filter(assembly=assembly, status=Election.Status.VOTING,
                                        method=Election.Method.SECRET).exists()
                or Vote.objects.filter(assembly=assembly, status=Vote.Status.OPEN,
                                       method__in=ELECTRONIC_VOTES).exists()):
            raise ValidationError(_("Another vote or election on the phones is open: close it "
                                    "first."))
        present = present_voters(assembly.pk)
        if present == 0:
            raise ValidationError(_("No voting member is checked in as present."))
        locked.status = Election.Status.VOTING
        locked.opened_at = timezone.now()
        locked.eligible_at_open = present
        locked.save(update_fields=["status", "opened_at", "eligible_at_open", "updated_at"])
        _audit(actor=actor, action=AuditEntry.Action.UPDATE, obj=locked, assembly=assembly,
               changes={"status": [Election.Status.NOMINATING, Election.Status.VOTING],
                        "eligible_at_open": [None, present]})
        live.bump(assembly.pk)
    return locked


def _candidate_ids(value) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list | tuple | set | frozenset) or any(
            isinstance(v, bool) or not isinstance(v, int) for v in value):
        raise ValidationError(_("Choose candidates of this election."))
    return list(value)


def ballot_cast(*, election: Election, participant: Participant, candidate_ids,
                abstain: bool = False) -> VoteCast:
    """A present voter's secret ballot: up to votes_per_ballot (default: the places) distinct
    candidates, or none (an abstention). Returns the record that they voted, never the ballot."""
    ids = _candidate_ids(candidate_ids)
    if len(set(ids)) != len(ids):
        raise ValidationError(_("Choose each candidate at most once."))
    if abstain and ids:
        raise ValidationError(_("Either abstain or choose candidates, not both."))
    if not isinstance(participant, Participant):
        raise ValidationError(_("You are not a participant of this assembly."))
    with transaction.atomic():
        locked = _locked(election)
        if locked.method != Election.Method.SECRET:
            raise ValidationError(_("This election is held on paper ballots."))
        if locked.status != Election.Status.VOTING or \
                locked.assembly.status != Assembly.Status.IN_SESSION:
            raise ValidationError(_("Voting is not open."))
        voter = Participant.objects.filter(pk=participant.pk).first()
        if voter is None or voter.assembly_id != locked.assembly_id:
            raise ValidationError(_("You are not a participant of this assembly."))
        if voter.kind != Participant.Kind.VOTER:
            raise ValidationError(_("Guests do not vote."))
        if not voter.present:
            raise ValidationError(_("You are not checked in. Please check in at the door "
                                    "first."))
        standing = set(locked.candidates.filter(withdrawn=False).values_list("pk", flat=True))
        if not set(ids) <= standing:
            raise ValidationError(_("Choose candidates of this election."))
        limit = locked.votes_per_ballot or locked.seats
        if len(ids) > limit:
            raise ValidationError(ngettext("Choose at most %(n)d candidate.",
                                           "Choose at most %(n)d candidates.", limit)
                                  % {"n": limit})
        if VoteCast.objects.filter(election=locked, participant=voter).exists():
            raise ValidationError(_("You have already voted in this election."))
        try:
            with transaction.atomic():
                cast = VoteCast.objects.create(election=locked, participant=voter)
        except IntegrityError:
            # The database is the guarantee of one ballot each; the check above is the message.
            raise ValidationError(_("You have already voted in this election.")) from None
        Ballot.objects.create(election=locked, choice=sorted(ids), invalid=False)
        # Who voted, never what: the same fact the VoteCast row holds. The voter has no
        # account here (the personal link), so no actor.
        _audit(actor=None, action=AuditEntry.Action.UPDATE, obj=locked,
               assembly=locked.assembly, changes={"participant": [None, voter.pk]},
               what=BALLOT_CAST)
        live.bump(locked.assembly_id)
    return cast


def paper_result_enter(*, election: Election, votes: dict, ballots_cast: int, invalid: int,
                       abstain: int, actor) -> Election:
    """The tellers' count of a paper election: votes per candidate (missing ones: 0), the
    ballots in the box, the invalid ones and the abstentions. It may be entered again (a
    recount) until the election is counted."""
    errors: dict[str, list] = {}
    for name, value in (("ballots_cast", ballots_cast), ("invalid", invalid),
                        ("abstain", abstain)):
        try:
            _whole(value, 0, MAX_VOTES)
        except ValidationError as exc:
            errors[name] = exc.messages
    if not isinstance(votes, dict) or any(isinstance(k, bool) or not isinstance(k, int)
                                          for k in votes):
        raise ValidationError(_("Enter votes only for candidates of this election."))
    for value in votes.values():
        try:
            _whole(value, 0, MAX_VOTES)
        except ValidationError as exc:
            errors["votes"] = exc.messages
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _locked(election)
        if locked.method != Election.Method.PAPER:
            raise ValidationError(_("Results are entered only for paper ballots."))
        if locked.status == Election.Status.NOMINATING:
            raise ValidationError(_("Open the voting before entering its result."))
        if locked.status != Election.Status.VOTING:
            raise ValidationError(_("The election has been counted."))
        candidates = {c.pk: c for c in locked.candidates.filter(withdrawn=False)}
        if not set(votes) <= set(candidates):
            raise ValidationError(_("Enter votes only for candidates of this election."))
        # People may arrive after the ballots were handed out, or leave before the count:
        # the ballots cannot outnumber the voters present at either moment.
        most = max(locked.eligible_at_open or 0, present_voters(locked.assembly_id))
        if ballots_cast > most:
            raise ValidationError({"ballots_cast": _(
                "%(n)d ballots are more than the %(m)d voting members present.") % {
                "n": ballots_cast, "m": most}})
        if invalid + abstain > ballots_cast:
            raise ValidationError({"ballots_cast": _(
                "Invalid ballots and abstentions are more than the ballots cast.")})
        naming = ballots_cast - invalid - abstain  # valid ballots that name candidates
        for pk, count in votes.items():
            if count > naming:
                raise ValidationError({"votes": _(
                    "%(name)s has more votes (%(votes)d) than there are valid ballots naming "
                    "candidates (%(n)d).") % {"name": candidates[pk].name, "votes": count,
                                              "n": naming}})
        per_ballot = locked.votes_per_ballot or locked.seats
        if sum(votes.values()) > naming * per_ballot:
            raise ValidationError({"votes": _(
                "The votes add up to more than %(n)d ballots with %(k)d votes each can hold.")
                % {"n": naming, "k": per_ballot}})
        before = {"ballots_cast": locked.ballots_cast, "ballots_invalid": locked.ballots_invalid,
                  "ballots_abstain": locked.ballots_abstain,
                  **{f"votes:{pk}": c.votes for pk, c in candidates.items()}}
        for pk, candidate in candidates.items():
            candidate.votes = votes.get(pk, 0)
        Candidate.objects.bulk_update(candidates.values(), ["votes"])
        locked.ballots_cast, locked.ballots_invalid = ballots_cast, invalid
        locked.ballots_abstain = abstain
        locked.result = {**locked.result, "paper_entered": True}
        locked.save(update_fields=["ballots_cast", "ballots_invalid", "ballots_abstain",
                                   "result", "updated_at"])
        after = {"ballots_cast": ballots_cast, "ballots_invalid": invalid,
                 "ballots_abstain": abstain,
                 **{f"votes:{pk}": c.votes for pk, c in candidates.items()}}
        _audit(actor=actor, action=AuditEntry.Action.UPDATE, obj=locked,
               assembly=locked.assembly, changes=changes_between(before, after))
    return locked


# --- counting ----------------------------------------------------------------------------------

def election_count(*, election: Election, actor) -> Election:
    """Close voting and compute the result with the quota rules."""
    with transaction.atomic():
        locked = _locked(election)
        if locked.status == Election.Status.NOMINATING:
            raise ValidationError(_("Voting has not been opened yet."))
        if locked.status == Election.Status.COUNTED:
            raise ValidationError(_("The election has been counted."))
        candidates = list(locked.candidates.filter(withdrawn=False))
        if locked.method == Election.Method.SECRET:
            rows = ballot_box.shuffle(election=locked)
            tally = {cand.pk: 0 for cand in candidates}
            invalid = abstain = 0
            for choice, is_invalid in rows:
                if is_invalid:
                    invalid += 1
                elif not choice:
                    abstain += 1
                else:
                    for pk in choice:
                        tally[pk] = tally.get(pk, 0) + 1
            for cand in candidates:
                cand.votes = tally[cand.pk]
            ballots = Ballot.objects.filter(election=locked).count()
            voters = VoteCast.objects.filter(election=locked).count()
            locked.ballots_cast, locked.ballots_invalid = ballots, invalid
            locked.ballots_abstain = abstain
            if ballots != voters:
                # Cannot happen: cast and ballot are written in one transaction.
                raise ValidationError(_(
                    "%(ballots)d ballots for %(casts)d voters: the count does not verify, the "
                    "vote stays open.") % {"ballots": ballots, "casts": voters})
            check = {"ballots": ballots, "voters": voters, "ok": True}
        else:
            if not locked.result.get("paper_entered"):
                raise ValidationError(_("Enter the tellers' count first."))
            check = {"ballots": locked.ballots_cast, "voters": None, "ok": True}
        rules = quota.QuotaRules(reserved=locked.reserved,
                                 min_share=Fraction(locked.min_share, 100),
                                 fallback=locked.fallback, min_votes=locked.min_votes,
                                 ordered=locked.kind == Election.Kind.LIST)
        allocation = quota.allocate(
            [quota.Candidate(id=c.pk, category=c.category, votes=c.votes,
                             nominated=c.nominated) for c in candidates],
            seats=locked.seats, rules=rules)
        by_pk = {c.pk: c for c in candidates}
        for cand in candidates:
            cand.place = None
        for place in allocation.places:
            if place.candidate_id is not None:
                by_pk[place.candidate_id].place = place.number
        Candidate.objects.bulk_update(candidates, ["votes", "place"])
        locked.result = _record(locked, allocation, by_pk, check)
        locked.status = Election.Status.COUNTED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at", "ballots_cast", "ballots_invalid",
                                   "ballots_abstain", "result", "updated_at"])
        _audit(actor=actor, action=AuditEntry.Action.UPDATE, obj=locked,
               assembly=locked.assembly,
               changes={"status": [Election.Status.VOTING, Election.Status.COUNTED],
                        "ballots_cast": [None, locked.ballots_cast],
                        "tally_ok": [None, check["ok"]],
                        "elected": [None, [p.candidate_id for p in allocation.places]]})
        live.bump(locked.assembly_id)
    return locked


def _record(election: Election, allocation: quota.Allocation, by_pk: dict, check: dict) -> dict:
    """The result as it goes into the minutes: names and counts are copied, so the record
    stays readable as it was counted."""

    def person(pk):
        cand = by_pk[pk]
        return {"id": pk, "name": cand.name, "category": cand.category, "votes": cand.votes}

    result = {
        # candidate_id as in rules.quota.Place (the minutes read it); candidate for display.
        "places": [{"number": p.number, "reserved": p.reserved, "released": p.released,
                    "candidate_id": p.candidate_id,
                    "candidate": person(p.candidate_id) if p.candidate_id is not None
                    else None} for p in allocation.places],
        "ties": [[person(pk) for pk in group] for group in allocation.ties],
        "quota_met": allocation.quota_met,
        "notes": [{"msgid": getattr(n, "msgid", str(n)), "params": getattr(n, "params", {})}
                  for n in allocation.notes],
        "tally": {**check, "method": election.method, "invalid": election.ballots_invalid,
                  "abstain": election.ballots_abstain},
        "rules": {"seats": election.seats, "reserved": election.reserved,
                  "min_share": election.min_share, "fallback": election.fallback,
                  "min_votes": election.min_votes},
    }
    if "runoff_of" in election.result:
        result["runoff_of"] = election.result["runoff_of"]
    return result


# --- a new ballot for the places left open -------------------------------------------------------

def _runoff_quota(election: Election, open_places: list[dict], kept: list[dict]) -> tuple:
    """Reserved places and share for a new ballot on `open_places` of a counted list, so that
    the whole list ends up meeting its quota: the reserved places among them stay reserved
    (as odd/even places of the new ballot when they fall that way, else as a share), and the
    share covers what the places kept in the list still lack."""
    flags = [p["reserved"] for p in open_places]
    k, reserved_count = len(flags), sum(flags)
    women_kept = sum(p["candidate"]["category"] == QuotaCategory.FLINTA for p in kept)
    for_share = ceil(Fraction(election.min_share, 100) * (len(kept) + k)) - women_kept
    need = min(max(reserved_count, for_share, 0), k)
    pattern = Election.Reserved.NONE
    if reserved_count and flags == [i % 2 == 0 for i in range(k)]:
        pattern = Election.Reserved.ODD
    elif reserved_count and flags == [i % 2 == 1 for i in range(k)]:
        pattern = Election.Reserved.EVEN
    covered = reserved_count if pattern != Election.Reserved.NONE else 0
    share = 0 if need <= covered else ceil(Fraction(100 * need, k))
    return pattern, share


def election_runoff(*, election: Election, actor, ties: bool = False) -> Election:
    """A new election, in nominations, for the places a counted election left free, with the
    candidates who were not elected; with `ties`, for the places that equal votes decided,
    with the candidates who had them. The chair may still add candidates before opening it."""
    with transaction.atomic():
        locked = _locked(election)
        _assembly_open(locked.assembly)
        if locked.status != Election.Status.COUNTED:
            raise ValidationError(_("Count the election first."))
        places = locked.result.get("places", [])
        standing = list(locked.candidates.filter(withdrawn=False))
        if ties:
            tied = {person["id"] for group in locked.result.get("ties", []) for person in group}
            if not tied:
                raise ValidationError(_("There are no equal votes to decide."))
            open_places = [p for p in places if p["candidate"] and p["candidate"]["id"] in tied]
            runners = [c for c in standing if c.pk in tied]
        else:
            open_places = [p for p in places if p["candidate"] is None]
            if not open_places:
                raise ValidationError(_("No place is free."))
            runners = [c for c in standing if c.place is None]
        # Whatever became of an earlier new ballot for a place (waiting, open or counted), the
        # place is its business now: a second one could fill it twice. What that ballot leaves
        # free goes to a new ballot of its own, from it.
        covered = {number for result in Election.objects.filter(
            assembly_id=locked.assembly_id, result__runoff_of__election=locked.pk).values_list(
            "result", flat=True) for number in result["runoff_of"]["places"]}
        if covered & {p["number"] for p in open_places}:
            raise ValidationError(_("A new ballot for these places exists already."))
        kept = [p for p in places if p["candidate"] and p not in open_places]
        reserved, share = _runoff_quota(locked, open_places, kept)
        title = _("%(title)s – new ballot") % {"title": locked.title}
        runoff = Election(
            assembly_id=locked.assembly_id, item=locked.item, kind=locked.kind,
            title=title if len(title) <= TITLE_LENGTH else title[:TITLE_LENGTH - 1] + "…",
            seats=len(open_places), reserved=reserved, min_share=share,
            fallback=locked.fallback, method=locked.method, min_votes=locked.min_votes,
            result={"runoff_of": {"election": locked.pk, "title": locked.title,
                                  "places": [p["number"] for p in open_places]}})
        runoff.full_clean()
        runoff.save()
        Candidate.objects.bulk_create([
            Candidate(election=runoff, participant_id=c.participant_id, name=c.name,
                      category=c.category, nominated=n)
            for n, c in enumerate(runners, start=1)])
        _audit(actor=actor, action=AuditEntry.Action.CREATE, obj=runoff,
               assembly=locked.assembly,
               changes={"runoff_of": [None, locked.pk], "seats": [None, runoff.seats],
                        "places": [None, [p["number"] for p in open_places]]})
        live.bump(locked.assembly_id)
    return runoff


# --- reads -------------------------------------------------------------------------------------

def open_for(participant: Participant) -> list[Election]:
    """The secret elections a voter can vote in now, each with `voted` (has cast a ballot)."""
    if participant.kind != Participant.Kind.VOTER:
        return []
    elections = list(Election.objects.filter(assembly_id=participant.assembly_id,
                                             status=Election.Status.VOTING,
                                             method=Election.Method.SECRET))
    voted = set(VoteCast.objects.filter(participant=participant, election__in=elections)
                .values_list("election_id", flat=True))
    for election in elections:
        election.voted = election.pk in voted
    return elections


def has_voted(election: Election, participant: Participant) -> bool:
    return VoteCast.objects.filter(election=election, participant=participant).exists()


def ballots_cast_now(election: Election) -> int:
    if election.method == Election.Method.SECRET:
        return VoteCast.objects.filter(election=election).count()
    return election.ballots_cast


def result_notes(election: Election) -> list[str]:
    """The result's notes in the current language."""
    return [_(note["msgid"]) % note["params"] for note in election.result.get("notes", [])]
