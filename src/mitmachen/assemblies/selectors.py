"""Reads about an assembly that more than one page needs."""

from dataclasses import dataclass
from math import ceil

from django.db.models import Count, Q

from mitmachen.assemblies.models import AgendaItem, Assembly, AssemblyRules, Participant


@dataclass(frozen=True)
class Quorum:
    eligible: int        # voting members on the list
    present: int         # voting members checked in now
    guests_present: int
    required: int | None  # None: the statutes require no quorum
    met: bool

    @property
    def missing(self) -> int:
        return max((self.required or 0) - self.present, 0)


def quorum(assembly: Assembly) -> Quorum:
    counts = Participant.objects.filter(assembly=assembly).aggregate(
        n_eligible=Count("pk", filter=Q(kind=Participant.Kind.VOTER)),
        n_present=Count("pk", filter=Q(kind=Participant.Kind.VOTER, present=True)),
        n_guests=Count("pk", filter=Q(kind=Participant.Kind.GUEST, present=True)),
    )
    required = required_for(assembly.quorum_kind, assembly.quorum_value, counts["n_eligible"])
    return Quorum(eligible=counts["n_eligible"], present=counts["n_present"],
                  guests_present=counts["n_guests"], required=required,
                  met=required is None or counts["n_present"] >= required)


def required_for(kind: str, value: int, eligible: int) -> int | None:
    if kind == AssemblyRules.Quorum.ABSOLUTE:
        return value
    if kind == AssemblyRules.Quorum.SHARE:
        # Whole people: a quorum of 10 % of 45 members needs 5, not 4.5.
        return ceil(eligible * value / 100)
    return None


def agenda(assembly: Assembly) -> list[tuple[str, AgendaItem]]:
    """The items in order with their numbers ("3", "3.1"), sub-items after their parent."""
    items = list(AgendaItem.objects.filter(assembly=assembly).prefetch_related("documents"))
    top = [i for i in items if i.parent_id is None]
    children: dict[int, list[AgendaItem]] = {}
    for item in items:
        if item.parent_id is not None:
            children.setdefault(item.parent_id, []).append(item)
    rows = []
    for n, item in enumerate(top, start=1):
        rows.append((str(n), item))
        for m, child in enumerate(children.get(item.pk, []), start=1):
            rows.append((f"{n}.{m}", child))
    return rows


def item_number(item: AgendaItem) -> str:
    return next((number for number, row in agenda(item.assembly) if row.pk == item.pk), "")
