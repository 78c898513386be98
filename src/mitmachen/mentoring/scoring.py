"""Who may mentor whom, and how well they fit: the pair-level rules of the mentoring matching.

Pure Python and NumPy: no Django, no database. The models layer turns applications into
`Person` values; `matching.match` assigns them. Every rule exists twice on purpose: once per pair
(`violations`, `score`, `explain`: readable, used for explanations and tests) and once for all
pairs at once (`pair_matrices`: NumPy, because 5,000 x 2,000 pairs in a Python loop take far too
long). The tests check that both agree.

**Hard constraints** (a pair that breaks one is never matched):

- neither side has excluded the other (`excluded` holds ids of the other side);
- they share at least one language;
- the mentee's requirements (`requires`) hold:
  - ``"mentor_woman"``: the mentor's gender is in `MENTOR_WOMAN_GENDERS`. The programme in seed
    004 is for *Frauen\\** (women/FLINTA\\*), so "the mentor should be a woman" is read the same
    way: women, inter, non-binary, trans and agender people;
  - ``"same_language"``: the mentor speaks *every* language the mentee listed (one common
    language is required anyway; this is for a mentee who wants to be able to use, say, Turkish
    and German alike);
  - ``"step_free"``: the mentor offers meetings at step-free places (``"step_free"`` in
    `offers`).
- Capacity, forbidden pairs and pairs fixed by the coordinator are rules of the whole run and
  live in `matching`.

**Compatibility** is an integer 0..100, the sum of named weights. For interests, bodies,
activities, times and accessibility the points are the share of what the *mentee* asked for that
the mentor has (floor of weight x overlap / wishes), because the mentor's broader experience
should not dilute a good fit. District and hours give their weight when they fit. Hours fit when
the mentee's wish is at most the mentor's hours *per mentee* (hours_per_month / capacity): a
mentor with 6 hours and three places has 2 hours for each mentee, not 6. A mentee who
states nothing for a component gets no points for it from anyone. Points come only from overlaps
that `explain` names, so the explanation shown to people is the whole reason for the score.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

MENTEE, MENTOR = "mentee", "mentor"
ROLES = (MENTEE, MENTOR)

# The requirements a mentee can make binding.
MENTOR_WOMAN = "mentor_woman"
SAME_LANGUAGE = "same_language"
STEP_FREE = "step_free"
REQUIREMENTS = frozenset({MENTOR_WOMAN, SAME_LANGUAGE, STEP_FREE})
MENTOR_WOMAN_GENDERS = frozenset({"woman", "inter", "nonbinary", "trans", "agender"})

# Codes of the hard constraints, in the order they are reported for an unmatched mentee.
EXCLUDED_BY_MENTEE = "excluded_by_mentee"
EXCLUDED_BY_MENTOR = "excluded_by_mentor"
FORBIDDEN = "forbidden"  # by the coordinator; applied in matching
NO_COMMON_LANGUAGE = "no_common_language"
CONSTRAINTS = (EXCLUDED_BY_MENTEE, EXCLUDED_BY_MENTOR, FORBIDDEN, NO_COMMON_LANGUAGE,
               MENTOR_WOMAN, SAME_LANGUAGE, STEP_FREE)

# Weights of the compatibility score; they add up to MAX_SCORE. Interests come first because
# the seed names them first ("für ein bestimmtes Fachgebiet"), then the kind of body, the
# activities and the time both can invest.
FIELDS_WEIGHT = 30
BODIES_WEIGHT = 15
ACTIVITIES_WEIGHT = 15
TIMES_WEIGHT = 15
DISTRICT_WEIGHT = 10
HOURS_WEIGHT = 10
ACCESSIBILITY_WEIGHT = 5
MAX_SCORE = 100
HOURS_IN_MONTH = 744  # 31 x 24: an upper bound that keeps the hours a small integer

# (explanation key, the mentee's attribute, the mentor's attribute, weight), in the order the
# explanation lists them. Accessibility compares the mentee's needs with what the mentor offers.
SET_COMPONENTS = (
    ("fields", "fields", "fields", FIELDS_WEIGHT),
    ("bodies", "bodies", "bodies", BODIES_WEIGHT),
    ("activities", "activities", "activities", ACTIVITIES_WEIGHT),
    ("times", "times", "times", TIMES_WEIGHT),
    ("accessibility", "accessibility", "offers", ACCESSIBILITY_WEIGHT),
)
assert sum(c[3] for c in SET_COMPONENTS) + DISTRICT_WEIGHT + HOURS_WEIGHT == MAX_SCORE

_STRING_SETS = ("fields", "bodies", "activities", "times", "languages", "accessibility",
                "requires", "offers")


@dataclass(frozen=True, slots=True)
class Person:
    """One application to a programme, as far as the matching needs it.

    Set-valued attributes accept any iterable of strings (not a bare string) and are stored as
    frozensets. `capacity` is how many mentees a mentor takes (at least 1); mentees ignore it.
    `excluded` holds ids of people on the *other* side this person refuses.
    """

    id: int
    role: str
    fields: frozenset[str] = frozenset()
    bodies: frozenset[str] = frozenset()
    activities: frozenset[str] = frozenset()
    hours_per_month: int = 0
    times: frozenset[str] = frozenset()
    district: str | None = None
    languages: frozenset[str] = frozenset()
    accessibility: frozenset[str] = frozenset()
    gender: str = ""
    capacity: int = 1
    requires: frozenset[str] = frozenset()
    offers: frozenset[str] = frozenset()
    excluded: frozenset[int] = frozenset()

    def __post_init__(self):
        if not _is_int(self.id):
            raise ValueError(f"A person's id must be an integer, not {self.id!r}.")
        if self.role not in ROLES:
            raise ValueError(f"Person {self.id}: role must be 'mentee' or 'mentor', "
                             f"not {self.role!r}.")
        for name in _STRING_SETS:
            object.__setattr__(self, name, _frozen(self, name, str))
        object.__setattr__(self, "excluded", _frozen(self, "excluded", int))
        if not _is_int(self.hours_per_month) or not 0 <= self.hours_per_month <= HOURS_IN_MONTH:
            raise ValueError(f"Person {self.id}: hours_per_month must be a whole number from 0 "
                             f"to {HOURS_IN_MONTH}, not {self.hours_per_month!r}.")
        if not _is_int(self.capacity) or self.capacity < 0:
            raise ValueError(f"Person {self.id}: capacity must be a whole number >= 0, "
                             f"not {self.capacity!r}.")
        if self.role == MENTOR and self.capacity < 1:
            raise ValueError(f"Mentor {self.id}: capacity must be at least 1.")
        if not isinstance(self.gender, str):
            raise ValueError(f"Person {self.id}: gender must be a string.")
        if self.district is not None and not isinstance(self.district, str):
            raise ValueError(f"Person {self.id}: district must be a string or None.")
        if self.district == "":
            object.__setattr__(self, "district", None)
        unknown = self.requires - REQUIREMENTS
        if unknown:
            raise ValueError(f"Person {self.id}: unknown requirement(s) {sorted(unknown)}; "
                             f"known: {sorted(REQUIREMENTS)}.")
        if self.requires and self.role == MENTOR:
            raise ValueError(f"Mentor {self.id}: only mentees set requirements.")

    @classmethod
    def mentee(cls, id: int, **attrs) -> "Person":
        return cls(id=id, role=MENTEE, **attrs)

    @classmethod
    def mentor(cls, id: int, **attrs) -> "Person":
        return cls(id=id, role=MENTOR, **attrs)


def _is_int(value) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _frozen(person: Person, name: str, kind: type) -> frozenset:
    value = getattr(person, name)
    # A bare string would silently become a set of letters.
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValueError(f"Person {person.id}: {name} must be a set, not {value!r}.")
    items = frozenset(int(v) if kind is int and _is_int(v) else v for v in value)
    if not all(isinstance(v, kind) and not isinstance(v, bool) for v in items):
        raise ValueError(f"Person {person.id}: {name} may only hold {kind.__name__} values.")
    return items


def _check_pair(mentee: Person, mentor: Person) -> None:
    if mentee.role != MENTEE or mentor.role != MENTOR:
        raise ValueError(f"Expected a mentee and a mentor, got {mentee.role} {mentee.id} and "
                         f"{mentor.role} {mentor.id}.")


def violations(mentee: Person, mentor: Person) -> tuple[str, ...]:
    """The codes of the hard constraints the pair breaks (empty: they may be matched)."""
    _check_pair(mentee, mentor)
    found = []
    if mentor.id in mentee.excluded:
        found.append(EXCLUDED_BY_MENTEE)
    if mentee.id in mentor.excluded:
        found.append(EXCLUDED_BY_MENTOR)
    if not mentee.languages & mentor.languages:
        found.append(NO_COMMON_LANGUAGE)
    if MENTOR_WOMAN in mentee.requires and mentor.gender not in MENTOR_WOMAN_GENDERS:
        found.append(MENTOR_WOMAN)
    if SAME_LANGUAGE in mentee.requires and not mentee.languages <= mentor.languages:
        found.append(SAME_LANGUAGE)
    if STEP_FREE in mentee.requires and STEP_FREE not in mentor.offers:
        found.append(STEP_FREE)
    return tuple(found)


def _components(mentee: Person, mentor: Person):
    """(key, data, points) for each overlap, in explanation order; empty overlaps left out."""
    _check_pair(mentee, mentor)
    parts = {}
    for key, mine, theirs, weight in SET_COMPONENTS:
        wish = getattr(mentee, mine)
        common = wish & getattr(mentor, theirs)
        if common:
            parts[key] = (sorted(common), weight * len(common) // len(wish))
    items = [(key, *parts[key]) for key in ("fields", "bodies", "activities", "times")
             if key in parts]
    if mentee.district is not None and mentee.district == mentor.district:
        items.append(("district", mentee.district, DISTRICT_WEIGHT))
    if _hours_fit(mentee.hours_per_month, mentor.hours_per_month, mentor.capacity):
        items.append(("hours", (mentee.hours_per_month,
                                mentor.hours_per_month // max(mentor.capacity, 1)),
                      HOURS_WEIGHT))
    if "accessibility" in parts:
        items.append(("accessibility", *parts["accessibility"]))
    # Languages give no points (one in common is required) but belong to "what matched".
    languages = mentee.languages & mentor.languages
    if languages:
        items.append(("languages", sorted(languages), 0))
    return items


def _hours_fit(wish, hours, capacity):
    """The wish is at most the hours per mentee, hours / capacity; compared as wish x capacity
    <= hours so that no fraction is rounded. Works on ints and on NumPy arrays alike."""
    return (wish > 0) & (wish * capacity <= hours)


def score(mentee: Person, mentor: Person) -> int:
    """Compatibility 0..100 (also for a pair that breaks a hard constraint)."""
    return sum(points for _, _, points in _components(mentee, mentor))


def explain(mentee: Person, mentor: Person) -> list[tuple[str, object]]:
    """What matched, as (key, data) items the UI can translate.

    Keys, in this order, each only when something matched: "fields", "bodies", "activities",
    "times" (sorted lists of the common vocabulary keys), "district" (its name), "hours"
    ((the mentee's wish, the mentor's whole hours per mentee) when the mentor has enough),
    "accessibility" (the mentee's needs the mentor offers), "languages" (common languages; no
    points).
    """
    return [(key, data) for key, data, _ in _components(mentee, mentor)]


@dataclass(frozen=True, slots=True)
class PairMatrices:
    """All pairs at once; rows follow the mentees, columns the mentors, as passed in."""

    feasible: np.ndarray  # bool; forbidden pairs are not applied here
    score: np.ndarray  # int16, 0..MAX_SCORE
    ruled_out: dict[str, np.ndarray]  # constraint code -> per mentee, mentors it rules out


def _bitmasks(left: Sequence[frozenset], right: Sequence[frozenset]):
    """Each set as 64-bit words over the union of both vocabularies (one word per 64 keys)."""
    vocabulary: dict[str, int] = {}
    for items in (*left, *right):
        for item in items:
            vocabulary.setdefault(item, len(vocabulary))
    words = max(1, -(-len(vocabulary) // 64))
    masks = []
    for side in (left, right):
        ints = [sum(1 << vocabulary[item] for item in items) for items in side]
        mask = np.zeros((len(side), words), dtype=np.uint64)
        for word in range(words):
            mask[:, word] = [(x >> (64 * word)) & 0xFFFF_FFFF_FFFF_FFFF for x in ints]
        masks.append(mask)
    return masks


def _overlap(left: Sequence[frozenset], right: Sequence[frozenset]) -> np.ndarray:
    """|left_i & right_j| for all pairs, as int16: AND and count the bits of the masks."""
    a, b = _bitmasks(left, right)
    counts = np.zeros((len(left), len(right)), dtype=np.int16)
    for word in range(a.shape[1]):
        counts += np.bitwise_count(a[:, word, None] & b[None, :, word])
    return counts


def pair_matrices(mentees: Sequence[Person], mentors: Sequence[Person]) -> PairMatrices:
    """`violations` and `score` for every pair, vectorised."""
    n, m = len(mentees), len(mentors)
    score_matrix = np.zeros((n, m), dtype=np.int16)
    for _, mine, theirs, weight in SET_COMPONENTS:
        wishes = np.array([max(len(getattr(p, mine)), 1) for p in mentees], dtype=np.int32)
        common = _overlap([getattr(p, mine) for p in mentees],
                          [getattr(p, theirs) for p in mentors])
        # An empty wish has no overlap, so dividing by 1 instead gives its 0 points; int32
        # because weight x overlap may outgrow int16 for (unrealistically) large sets.
        score_matrix += np.multiply(common, weight, dtype=np.int32) // wishes[:, None]

    district_codes: dict[str, int] = {}
    mentee_districts = np.array([-1 if p.district is None else
                                 district_codes.setdefault(p.district, len(district_codes))
                                 for p in mentees], dtype=np.int32)
    mentor_districts = np.array([-2 if p.district is None else
                                 district_codes.get(p.district, -3) for p in mentors],
                                dtype=np.int32)
    score_matrix += DISTRICT_WEIGHT * (mentee_districts[:, None] == mentor_districts[None, :])
    wish_hours = np.array([p.hours_per_month for p in mentees], dtype=np.int32)
    offer_hours = np.array([p.hours_per_month for p in mentors], dtype=np.int32)
    # Above HOURS_IN_MONTH places no wish fits anyway; the cap keeps the product in int32.
    places = np.array([min(max(p.capacity, 1), HOURS_IN_MONTH + 1) for p in mentors],
                      dtype=np.int32)
    score_matrix += HOURS_WEIGHT * _hours_fit(wish_hours[:, None], offer_hours[None, :],
                                              places[None, :])

    feasible = np.ones((n, m), dtype=bool)
    ruled_out = {}

    def rule(code: str, broken: np.ndarray) -> None:
        feasible[broken] = False
        ruled_out[code] = broken.sum(axis=1, dtype=np.int32)

    mentor_index = {p.id: j for j, p in enumerate(mentors)}
    mentee_index = {p.id: i for i, p in enumerate(mentees)}
    broken = np.zeros((n, m), dtype=bool)
    for i, p in enumerate(mentees):
        broken[i, [mentor_index[x] for x in p.excluded if x in mentor_index]] = True
    rule(EXCLUDED_BY_MENTEE, broken)
    broken = np.zeros((n, m), dtype=bool)
    for j, p in enumerate(mentors):
        broken[[mentee_index[x] for x in p.excluded if x in mentee_index], j] = True
    rule(EXCLUDED_BY_MENTOR, broken)

    languages = _overlap([p.languages for p in mentees], [p.languages for p in mentors])
    rule(NO_COMMON_LANGUAGE, languages == 0)

    def requires(code: str) -> np.ndarray:
        return np.array([code in p.requires for p in mentees], dtype=bool)[:, None]

    not_woman = np.array([p.gender not in MENTOR_WOMAN_GENDERS for p in mentors], dtype=bool)
    rule(MENTOR_WOMAN, requires(MENTOR_WOMAN) & not_woman[None, :])
    spoken = np.array([len(p.languages) for p in mentees], dtype=np.int16)
    rule(SAME_LANGUAGE, requires(SAME_LANGUAGE) & (languages < spoken[:, None]))
    no_step_free = np.array([STEP_FREE not in p.offers for p in mentors], dtype=bool)
    rule(STEP_FREE, requires(STEP_FREE) & no_step_free[None, :])
    return PairMatrices(feasible=feasible, score=score_matrix, ruled_out=ruled_out)
