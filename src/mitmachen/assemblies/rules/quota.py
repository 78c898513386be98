"""The result of an election with reserved places and a minimum share of women/FLINTA*.

`allocate` turns the votes into places 1..seats. The outcome is defined for every input, also
when there are too few women/FLINTA* candidates:

1. **Ranking.** Candidates are ranked by votes (most first); equal votes are decided by the
   order of nomination (earlier first). Only a candidate with at least `min_votes` votes is
   electable.
2. **Filling the places** in order 1, 2, 3, ...:
   - a reserved place (odd places with `reserved="odd"`, even ones with `"even"`) takes the
     best-ranked electable woman/FLINTA* not yet elected. When there is none, `fallback`
     decides: `"vacant"` leaves the place free; `"open"` gives it to the best-ranked electable
     candidate left, and the place is marked `released`;
   - any other place takes the best-ranked electable candidate left, of either category;
   - a place for which no electable candidate is left stays free.
3. **The minimum share.** While women/FLINTA* hold less than `min_share` of the filled places,
   the open candidate on the lowest-placed unreserved place makes way: the best-ranked
   electable woman/FLINTA* left takes that very place (places keep their order). When no
   woman/FLINTA* is left, `"vacant"` leaves that place free (fewer places are filled, so the
   share rises) and the check repeats; `"open"` keeps the place and the list falls short of
   the share.

`quota_met` is true when no reserved place is held by an open candidate and the share holds
among the filled places (a free place breaks no quota; the notes say why it is free). With
`fallback="vacant"` it is always true. `ties` lists the groups of electable candidates with
equal votes where the order of nomination decided who was elected and who not, so the chair
can show it (statutes may demand a run-off or a draw). Each note is an English sentence that
also keeps its msgid and values for translation: ``_(note.msgid) % note.params``.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from numbers import Rational

from .speakers import FLINTA, OPEN, category_of

NONE, ODD, EVEN = "none", "odd", "even"
VACANT = "vacant"  # fallback: the place stays free
RELEASE = OPEN  # fallback "open": the place goes to any candidate


def gettext_noop(message: str) -> str:
    """Marks a msgid for makemessages; this module stays free of Django."""
    return message


class Note(str):
    """An English sentence that remembers its msgid and values, so the caller can translate it."""

    msgid: str
    params: dict

    def __new__(cls, msgid: str, **params):
        note = super().__new__(cls, msgid % params)
        note.msgid = msgid
        note.params = params
        return note


RESERVED_VACANT = gettext_noop(
    "Place %(number)s is reserved for women/FLINTA* and no woman/FLINTA* candidate with enough "
    "votes is left: it stays free.")
RESERVED_RELEASED = gettext_noop(
    "Place %(number)s is reserved for women/FLINTA* and no woman/FLINTA* candidate with enough "
    "votes is left: it goes to an open candidate.")
NOBODY_LEFT = gettext_noop("Place %(number)s stays free: no candidate with enough votes is left.")
SHARE_REPLACED = gettext_noop(
    "Place %(number)s goes to a woman/FLINTA* candidate so that women/FLINTA* hold at least "
    "%(share)s of the filled places.")
SHARE_VACANT = gettext_noop(
    "Place %(number)s stays free so that women/FLINTA* hold at least %(share)s of the filled "
    "places.")
SHARE_SHORT = gettext_noop(
    "No woman/FLINTA* candidate with enough votes is left: women/FLINTA* hold less than "
    "%(share)s of the filled places.")


@dataclass(frozen=True)
class Candidate:
    id: int
    category: str  # FLINTA / OPEN
    votes: int
    nominated: int  # nomination order, breaks ties (lower first)


@dataclass(frozen=True)
class QuotaRules:
    reserved: str = NONE  # "none" | "odd" (places 1,3,5,.. for FLINTA) | "even"
    min_share: Fraction = Fraction(0)  # minimum share of FLINTA among the filled places
    fallback: str = VACANT  # what happens to a reserved place no FLINTA can take:
    # "vacant" (stays free) | "open" (goes to any candidate)
    min_votes: int = 1  # a candidate needs at least this many votes to be elected
    ordered: bool = False  # a list election: the order of places is part of the result


@dataclass(frozen=True)
class Place:
    number: int  # 1-based
    reserved: bool  # reserved for FLINTA
    candidate_id: int | None  # None = stays free
    released: bool = False  # reserved place given to open because of fallback "open"


@dataclass(frozen=True)
class Allocation:
    places: tuple[Place, ...]
    ties: tuple[tuple[int, ...], ...]  # groups of candidate ids with equal votes across a cut
    quota_met: bool
    notes: tuple[str, ...]  # English sentences explaining vacancies/releases


def is_reserved(number: int, reserved: str) -> bool:
    return (reserved == ODD and number % 2 == 1) or (reserved == EVEN and number % 2 == 0)


def rank_key(candidate: Candidate):
    return (-candidate.votes, candidate.nominated, candidate.id)


def allocate(candidates: Sequence[Candidate], *, seats: int, rules: QuotaRules) -> Allocation:
    """Places 1..seats from the votes (see the module docstring)."""
    _check(candidates, seats, rules)
    share = Fraction(rules.min_share)
    category = {c.id: category_of(c.category) for c in candidates}
    left = sorted((c for c in candidates if c.votes >= rules.min_votes), key=rank_key)
    places: list[Place] = []
    notes: list[str] = []

    def take(woman_only: bool) -> Candidate | None:
        for candidate in left:
            if not woman_only or category[candidate.id] == FLINTA:
                left.remove(candidate)
                return candidate
        return None

    for number in range(1, seats + 1):
        reserved = is_reserved(number, rules.reserved)
        chosen, released = take(woman_only=reserved), False
        if chosen is None and reserved:
            if rules.fallback == VACANT:
                notes.append(Note(RESERVED_VACANT, number=number))
            else:
                chosen = take(woman_only=False)
                released = chosen is not None
                if released:
                    notes.append(Note(RESERVED_RELEASED, number=number))
        if chosen is None and not (reserved and rules.fallback == VACANT):
            notes.append(Note(NOBODY_LEFT, number=number))
        places.append(Place(number, reserved, chosen.id if chosen else None, released))

    share_met = _reach_share(places, left, category, share, rules.fallback, notes)
    held_by_open = any(p.reserved and p.candidate_id is not None
                       and category[p.candidate_id] == OPEN for p in places)
    return Allocation(
        places=tuple(places),
        ties=_ties(candidates, places, left, category, rules.min_votes, rules.ordered),
        quota_met=share_met and not held_by_open,
        notes=tuple(notes),
    )


def _reach_share(places: list[Place], left: list[Candidate], category: dict, share: Fraction,
                 fallback: str, notes: list[str]) -> bool:
    """Step 3: replaces (or frees) open places in `places` until the share holds."""
    shown = _show_share(share)
    while True:
        filled = [p for p in places if p.candidate_id is not None]
        women = sum(category[p.candidate_id] == FLINTA for p in filled)
        if not filled or Fraction(women, len(filled)) >= share:
            return True
        # Released places are reserved ones: only unreserved places make way.
        target = next((p for p in reversed(places) if not p.reserved
                       and p.candidate_id is not None and category[p.candidate_id] == OPEN),
                      None)
        woman = next((c for c in left if category[c.id] == FLINTA), None)
        if woman is not None and target is not None:
            left.remove(woman)
            places[target.number - 1] = Place(target.number, False, woman.id)
            notes.append(Note(SHARE_REPLACED, number=target.number, share=shown))
        elif fallback == VACANT and target is not None:
            places[target.number - 1] = Place(target.number, False, None)
            notes.append(Note(SHARE_VACANT, number=target.number, share=shown))
        else:
            notes.append(Note(SHARE_SHORT, share=shown))
            return False


def _ties(candidates, places, left, category, min_votes,
          ordered=False) -> tuple[tuple[int, ...], ...]:
    """Groups of equal votes where one elected member's place could have gone to an unelected
    one: nomination order decided it. A woman on a reserved place and an open candidate with
    equal votes are no tie, since he could not have had that place. On an ordered list (a list
    election) the order of places is the result, so equal votes among the elected count too
    when they could have swapped places."""
    place_of = {p.candidate_id: p for p in places if p.candidate_id is not None}
    unelected = {c.id for c in candidates if c.votes >= min_votes and c.id not in place_of}
    groups: dict[int, list[Candidate]] = {}
    for candidate in sorted(candidates, key=rank_key):
        if candidate.votes >= min_votes:
            groups.setdefault(candidate.votes, []).append(candidate)
    ties = []
    for group in groups.values():
        ids = [c.id for c in group]
        elected = [e for e in ids if e in place_of]
        if any(_could_take(place_of[e], category[u])
               for e in elected for u in ids if u in unelected) or (ordered and any(
                _could_take(place_of[a], category[b]) and _could_take(place_of[b], category[a])
                for a in elected for b in elected if a != b)):
            ties.append(tuple(ids))
    return tuple(ties)


def _could_take(place: Place, category: str) -> bool:
    return not place.reserved or place.released or category == FLINTA


def _show_share(share: Fraction) -> str:
    percent = share * 100
    return f"{percent.numerator} %" if percent.denominator == 1 else str(share)


def _check(candidates: Sequence[Candidate], seats: int, rules: QuotaRules) -> None:
    # The caller builds these from validated rows; a bad value is a programming error.
    if not _is_int(seats) or seats < 0:
        raise ValueError(f"The number of places must be a whole number of at least 0: {seats!r}.")
    if rules.reserved not in (NONE, ODD, EVEN):
        raise ValueError(f"Unknown reserved places: {rules.reserved!r}.")
    if rules.fallback not in (VACANT, RELEASE):
        raise ValueError(f"Unknown fallback: {rules.fallback!r}.")
    if (isinstance(rules.min_share, bool) or not isinstance(rules.min_share, Rational)
            or not 0 <= rules.min_share <= 1):
        raise ValueError(f"The minimum share must be a fraction from 0 to 1: "
                         f"{rules.min_share!r}.")
    if not _is_int(rules.min_votes) or rules.min_votes < 0:
        raise ValueError(f"The minimum of votes must be a whole number of at least 0: "
                         f"{rules.min_votes!r}.")
    seen = set()
    for candidate in candidates:
        category_of(candidate.category)
        if not _is_int(candidate.votes) or candidate.votes < 0:
            raise ValueError(f"Candidate {candidate.id} has invalid votes: {candidate.votes!r}.")
        if not _is_int(candidate.nominated):
            raise ValueError(f"Candidate {candidate.id} has an invalid nomination order: "
                             f"{candidate.nominated!r}.")
        if candidate.id in seen:
            raise ValueError(f"Candidate {candidate.id} stands twice.")
        seen.add(candidate.id)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
