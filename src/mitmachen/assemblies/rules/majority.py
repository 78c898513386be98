"""Whether a yes/no/abstain vote adopts a motion.

- **simple**: more yes than no; abstentions do not count. A tie rejects.
- **absolute**: yes is more than half of all votes cast, abstentions included; or, when
  `members` is given (statutes that say "Mehrheit der Mitglieder"), more than half of the
  members.
- **two_thirds**: yes is at least two thirds of yes and no; abstentions do not count. Exactly
  two thirds adopts.

`required` is the smallest number of yes votes that adopts when the same votes are cast (the
figure minutes state as "erforderliche Mehrheit"): for simple and two-thirds, of the yes and
no votes; for absolute, of all votes cast or of the members. So `adopted == (yes >= required)`.
With no vote counted nothing is adopted and `required` is 1. Arithmetic is in integers, so
there is no rounding. `explanation` is an English sentence that also keeps its msgid and
values for translation (see `quota.Note`).
"""

from dataclasses import dataclass

from .quota import Note, gettext_noop

SIMPLE, ABSOLUTE, TWO_THIRDS = "simple", "absolute", "two_thirds"

EXPLAIN = {
    (SIMPLE, True): gettext_noop(
        "Adopted by simple majority: %(yes)s yes against %(no)s no, abstentions not counted; "
        "%(required)s yes were needed."),
    (SIMPLE, False): gettext_noop(
        "Rejected: a simple majority needs more yes than no votes (%(required)s of %(counted)s); "
        "there were %(yes)s yes and %(no)s no, abstentions not counted."),
    (ABSOLUTE, True): gettext_noop(
        "Adopted by absolute majority: %(yes)s yes of %(counted)s votes cast, abstentions "
        "included; %(required)s yes were needed."),
    (ABSOLUTE, False): gettext_noop(
        "Rejected: an absolute majority needs more than half of the %(counted)s votes cast, "
        "abstentions included (%(required)s yes); there were %(yes)s yes."),
    ("members", True): gettext_noop(
        "Adopted by a majority of the members: %(yes)s yes of %(counted)s members; "
        "%(required)s yes were needed."),
    ("members", False): gettext_noop(
        "Rejected: a majority of the members needs more than half of the %(counted)s members "
        "(%(required)s yes); there were %(yes)s yes."),
    (TWO_THIRDS, True): gettext_noop(
        "Adopted by two-thirds majority: %(yes)s yes against %(no)s no, abstentions not "
        "counted; %(required)s yes were needed."),
    (TWO_THIRDS, False): gettext_noop(
        "Rejected: a two-thirds majority needs at least two thirds of the %(counted)s yes and "
        "no votes (%(required)s yes); there were %(yes)s yes and %(no)s no."),
}


@dataclass(frozen=True)
class Outcome:
    adopted: bool
    required: int
    explanation: str  # English


def decide(*, yes: int, no: int, abstain: int, rule: str, members: int | None = None) -> Outcome:
    """Whether the vote adopts, by the majority `rule` (see the module docstring).

    `members` is used by the absolute rule only."""
    for name, value in (("yes", yes), ("no", no), ("abstain", abstain), ("members", members)):
        if value is None and name == "members":
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be a whole number of at least 0: {value!r}.")
    if rule not in (SIMPLE, ABSOLUTE, TWO_THIRDS):
        raise ValueError(f"Unknown majority rule: {rule!r}.")

    explain = rule
    if rule == SIMPLE:
        counted = yes + no
        required = counted // 2 + 1
    elif rule == TWO_THIRDS:
        counted = yes + no
        required = max(-(-2 * counted // 3), 1)  # ceil(2/3 · counted), and never 0 yes
    elif members is None:
        counted = yes + no + abstain
        required = counted // 2 + 1
    else:
        if yes + no + abstain > members:
            raise ValueError(f"More votes cast ({yes + no + abstain}) than members ({members}).")
        explain, counted = "members", members
        required = counted // 2 + 1
    adopted = yes >= required
    note = Note(EXPLAIN[explain, adopted], yes=yes, no=no, abstain=abstain, counted=counted,
                required=required)
    return Outcome(adopted=adopted, required=required, explanation=note)
