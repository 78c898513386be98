"""The mentoring matching: an optimal assignment of mentees to mentors with capacities.

`match(mentees, mentors, fixed=..., forbidden=...)` returns a `Result`. Pure: no Django, no
database; the pair rules (hard constraints, compatibility, explanations) are in `scoring`.

**Rules of the run.** A mentor gets at most `capacity` mentees, a mentee at most one mentor. A
pair is only used when it breaks no hard constraint (`scoring.violations`) and the coordinator has
not forbidden it. Pairs the coordinator fixed are always in the result; they take a place of the
mentor's capacity, and a fixed pair that is unknown, forbidden, breaks a hard constraint or
overfills a mentor raises `MatchingError` (a ValueError) and nothing is computed.

**Objective**, lexicographic: first as many matched mentees as possible, then the largest total
compatibility. Each feasible pair weighs ``BIG + score`` with ``BIG = 100 * (most pairs
possible) + 1``, larger than any total score, so one more pair always outweighs any gain in
score; among matchings of equal size the score decides (see docs/decisions/0021).

**Solver.** A mentor with capacity c becomes c identical "slot" columns; the matrix mentees x
slots holds ``-(BIG + score)`` for feasible pairs and 0 for the rest, and SciPy's
`linear_sum_assignment` (an exact shortest-augmenting-path method) matches the smaller side
completely. Pairs with cost 0 are dropped afterwards: they add nothing, and every feasible
matching can be padded with them to a complete one, so the optimum is the same. People and
mentors are sorted by id first, so the result does not depend on the order they are passed in.

**Unmatched mentees** get a reason: ``"no_compatible_mentor"`` (every mentor breaks a hard
constraint; `ruled_out` counts the mentors per constraint, a mentor may count more than once)
or ``"capacity_exhausted"`` (`compatible` mentors exist, but their places went to others; in a
matching of maximum size that is the only other case). Messages keep their msgid and values so
the service layer can translate them: ``_(error.msgid) % error.params``.

`greedy` (highest score first) is the baseline the benchmark compares with.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
from scipy.optimize import linear_sum_assignment

from .scoring import (
    CONSTRAINTS,
    FORBIDDEN,
    MAX_SCORE,
    MENTEE,
    MENTOR,
    Person,
    explain,
    pair_matrices,
    violations,
)

NO_COMPATIBLE_MENTOR = "no_compatible_mentor"
CAPACITY_EXHAUSTED = "capacity_exhausted"


def gettext_noop(message: str) -> str:
    """Marks a msgid for makemessages; this module stays free of Django."""
    return message


class MatchingError(ValueError):
    """Bad input for a run; `code` says which, `msgid` % `params` is the English message."""

    def __init__(self, code: str, msgid: str, **params):
        super().__init__(msgid % params)
        self.code = code
        self.msgid = msgid
        self.params = params


class Pair(NamedTuple):
    mentee_id: int
    mentor_id: int
    score: int
    explanation: list  # scoring.explain


class Unmatched(NamedTuple):
    mentee_id: int
    reason: str  # NO_COMPATIBLE_MENTOR or CAPACITY_EXHAUSTED
    ruled_out: tuple[tuple[str, int], ...] = ()  # (constraint, mentors it rules out), non-zero
    compatible: int = 0  # mentors this mentee could have had


@dataclass(frozen=True)
class Result:
    pairs: tuple[Pair, ...]  # sorted by mentee id
    unmatched: tuple[Unmatched, ...]  # sorted by mentee id
    total_score: int
    remaining: Mapping[int, int]  # mentor id -> places left

    @property
    def matched(self) -> int:
        return len(self.pairs)

    def mentor_of(self, mentee_id: int) -> int | None:
        return next((p.mentor_id for p in self.pairs if p.mentee_id == mentee_id), None)


def match(mentees: Iterable[Person], mentors: Iterable[Person], *,
          fixed: Iterable[tuple[int, int]] = (),
          forbidden: Iterable[tuple[int, int]] = ()) -> Result:
    """The optimal matching: most mentees matched, then the highest total compatibility."""
    problem = _Problem(mentees, mentors, fixed, forbidden)
    problem.solve_optimal()
    return problem.result()


def greedy(mentees: Iterable[Person], mentors: Iterable[Person], *,
           fixed: Iterable[tuple[int, int]] = (),
           forbidden: Iterable[tuple[int, int]] = ()) -> Result:
    """The baseline: take feasible pairs by score, highest first, while places are free.

    Same rules and fixed pairs as `match`; ties go to the lower mentee id, then mentor id.
    """
    problem = _Problem(mentees, mentors, fixed, forbidden)
    problem.solve_greedy()
    return problem.result()


def _people(people: Iterable[Person], role: str) -> list[Person]:
    people = list(people)
    for person in people:
        if not isinstance(person, Person) or person.role != role:
            raise MatchingError("wrong_role", gettext_noop("Expected only %(role)ss, got %(got)s."),
                                role=role, got=repr(person))
    seen = set()
    for person in people:
        if person.id in seen:
            raise MatchingError("duplicate_id",
                                gettext_noop("Two %(role)ss have the id %(id)s."),
                                role=role, id=person.id)
        seen.add(person.id)
    return sorted(people, key=lambda p: p.id)


def _pair(pair) -> tuple[int, int]:
    try:
        mentee_id, mentor_id = pair
    except (TypeError, ValueError):
        mentee_id = mentor_id = None
    if not all(isinstance(x, int | np.integer) and not isinstance(x, bool)
               for x in (mentee_id, mentor_id)):
        raise MatchingError("bad_pair", gettext_noop(
            "A pair must be (mentee id, mentor id), not %(pair)s."), pair=repr(pair))
    return int(mentee_id), int(mentor_id)


class _Problem:
    def __init__(self, mentees, mentors, fixed, forbidden):
        self.mentees = _people(mentees, MENTEE)
        self.mentors = _people(mentors, MENTOR)
        mentee_index = {p.id: i for i, p in enumerate(self.mentees)}
        mentor_index = {p.id: j for j, p in enumerate(self.mentors)}
        n = len(self.mentees)
        matrices = pair_matrices(self.mentees, self.mentors)
        self.feasible, self.score = matrices.feasible, matrices.score
        self.ruled_out = dict(matrices.ruled_out)

        # A forbidden pair naming someone not in this run (say, a withdrawn application) is
        # harmless and ignored; the coordinator's list need not be cleaned first.
        forbidden_pairs = {_pair(pair) for pair in forbidden}
        known = [(mentee_index[a], mentor_index[b]) for a, b in forbidden_pairs
                 if a in mentee_index and b in mentor_index]
        rows = np.array([i for i, _ in known], dtype=np.int64)
        cols = np.array([j for _, j in known], dtype=np.int64)
        self.feasible[rows, cols] = False
        self.ruled_out[FORBIDDEN] = np.bincount(rows, minlength=n)

        self.places = np.array([p.capacity for p in self.mentors], dtype=np.int64)
        self.free_places = self.places.copy()
        self.assigned = np.full(n, -1, dtype=np.int64)
        for pair in fixed:
            mentee_id, mentor_id = _pair(pair)
            params = {"mentee": mentee_id, "mentor": mentor_id}
            if mentee_id not in mentee_index:
                raise MatchingError("unknown_mentee", gettext_noop(
                    "Fixed pair (%(mentee)s, %(mentor)s): there is no mentee %(mentee)s."),
                    **params)
            if mentor_id not in mentor_index:
                raise MatchingError("unknown_mentor", gettext_noop(
                    "Fixed pair (%(mentee)s, %(mentor)s): there is no mentor %(mentor)s."),
                    **params)
            i, j = mentee_index[mentee_id], mentor_index[mentor_id]
            if self.assigned[i] == j:
                continue  # the same pair twice is still one pair
            if self.assigned[i] >= 0:
                raise MatchingError("mentee_fixed_twice", gettext_noop(
                    "Mentee %(mentee)s is fixed to two mentors (%(other)s and %(mentor)s)."),
                    other=self.mentors[self.assigned[i]].id, **params)
            if (mentee_id, mentor_id) in forbidden_pairs:
                raise MatchingError("fixed_and_forbidden", gettext_noop(
                    "The pair (%(mentee)s, %(mentor)s) is both fixed and forbidden."), **params)
            broken = violations(self.mentees[i], self.mentors[j])
            if broken:
                raise MatchingError("fixed_infeasible", gettext_noop(
                    "The fixed pair (%(mentee)s, %(mentor)s) breaks: %(constraints)s."),
                    constraints=", ".join(broken), **params)
            if self.free_places[j] == 0:
                raise MatchingError("fixed_over_capacity", gettext_noop(
                    "Mentor %(mentor)s has %(capacity)s place(s); more pairs are fixed to them."),
                    capacity=int(self.places[j]), **params)
            self.free_places[j] -= 1
            self.assigned[i] = j

    def solve_optimal(self) -> None:
        rows = np.flatnonzero(self.assigned < 0)
        # More places than mentees waiting would only add columns nobody can fill.
        slots = np.repeat(np.arange(len(self.mentors)), np.minimum(self.free_places, rows.size))
        if not rows.size or not slots.size:
            return
        big = MAX_SCORE * min(rows.size, slots.size) + 1
        # The smaller side goes in the rows, else SciPy transposes (and copies) the matrix.
        transposed = slots.size < rows.size
        score, feasible = self.score[rows], self.feasible[rows]
        if transposed:
            score, feasible = score.T, feasible.T
        # Built in place as the negated weights: maximize=True would copy the big matrix again.
        # Float64 is exact here: every sum of costs is an integer far below 2**53.
        cost = np.asarray(score, dtype=np.float64, order="C")
        cost += big
        np.negative(cost, out=cost)
        cost[~feasible] = 0.0
        del score, feasible
        matrix = np.take(cost, slots, axis=0 if transposed else 1)
        del cost
        row_ind, col_ind = linear_sum_assignment(matrix)
        del matrix
        if transposed:
            row_ind, col_ind = col_ind, row_ind
        mentee_i, mentor_j = rows[row_ind], slots[col_ind]
        keep = self.feasible[mentee_i, mentor_j]
        self.assigned[mentee_i[keep]] = mentor_j[keep]

    def solve_greedy(self) -> None:
        rows = np.flatnonzero(self.assigned < 0)
        m = len(self.mentors)
        places = self.free_places.tolist()
        open_places, waiting = sum(places), rows.size
        if not open_places or not waiting:
            return
        # Row-major order is (mentee id, mentor id); a stable sort by score keeps it for ties.
        edges = np.flatnonzero(self.feasible[rows])
        edges = edges[np.argsort(-self.score[rows].ravel()[edges], kind="stable")]
        free = [True] * rows.size
        for start in range(0, edges.size, 1 << 16):
            for edge in edges[start:start + (1 << 16)].tolist():
                r, j = divmod(edge, m)
                if free[r] and places[j]:
                    free[r] = False
                    places[j] -= 1
                    self.assigned[rows[r]] = j
                    open_places -= 1
                    waiting -= 1
                    if not open_places or not waiting:
                        return

    def result(self) -> Result:
        pairs, unmatched = [], []
        for i, mentee in enumerate(self.mentees):
            j = self.assigned[i]
            if j >= 0:
                mentor = self.mentors[j]
                pairs.append(Pair(mentee.id, mentor.id, int(self.score[i, j]),
                                  explain(mentee, mentor)))
                continue
            compatible = int(self.feasible[i].sum())
            if compatible:
                unmatched.append(Unmatched(mentee.id, CAPACITY_EXHAUSTED, (), compatible))
            else:
                ruled_out = tuple((code, int(self.ruled_out[code][i])) for code in CONSTRAINTS
                                  if self.ruled_out[code][i])
                unmatched.append(Unmatched(mentee.id, NO_COMPATIBLE_MENTOR, ruled_out, 0))
        used = np.bincount(self.assigned[self.assigned >= 0], minlength=len(self.mentors))
        remaining = {mentor.id: int(self.places[j] - used[j])
                     for j, mentor in enumerate(self.mentors)}
        return Result(pairs=tuple(pairs), unmatched=tuple(unmatched),
                      total_score=sum(p.score for p in pairs),
                      remaining=MappingProxyType(remaining))

