"""The order of a quota speakers' list.

`order` takes the requests still waiting on one agenda item and returns them in the order they
will speak. Nobody sorts by hand: the chair's only tool is pinning (an override the service
logs with a reason).

1. **Points of order** go first, in the order they were asked.
2. **Pinned requests** (the chair's override) follow, by their pin number, then in the order
   asked. A pinned point of order stays with the points of order.
3. **Speeches for and against** ("Für- und Gegenrede") follow, alternating between pro and
   contra. The first goes to the side opposite the last pro/contra speech (`last_debate_side`),
   to pro when there was none. When one side has nobody waiting, the other side continues.
   Within a side, the order asked.
4. **The regular list** comes last. Within each quota category the order is: people who have
   not yet spoken on this item first (when `first_time_first` is on), then the order asked.
   With `alternate` on, the two categories take turns: the first turn goes to women/FLINTA*
   unless the last regular speaker was one of them (`last_category`), and when one category
   has nobody waiting the other continues. So when no woman is waiting the open speakers
   carry on, and a woman who then asks speaks next. With `alternate` off, both categories
   form one queue in the same order (first-time speakers first, then the order asked).

The caller keeps `last_category` as the category of the last speaker of kind regular (pinned
or not) and `last_debate_side` as the kind of the last pro/contra speech; points of order and
the debate do not take a turn in the alternation of the regular list. An empty category counts
as open. Requests asked at the same moment (equal `seq`) are ordered by id.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import zip_longest

FLINTA, OPEN = "flinta", "open"
REGULAR, POINT_OF_ORDER, PRO, CONTRA = "regular", "point_of_order", "pro", "contra"

CATEGORIES = (FLINTA, OPEN)
KINDS = (REGULAR, POINT_OF_ORDER, PRO, CONTRA)


@dataclass(frozen=True)
class Rules:
    alternate: bool = True  # alternate FLINTA / open
    first_time_first: bool = True  # people who have not yet spoken on this item come first


@dataclass(frozen=True)
class Request:
    id: int
    category: str  # FLINTA or OPEN ("" -> OPEN)
    kind: str  # REGULAR, POINT_OF_ORDER, PRO, CONTRA
    first_time: bool  # has not spoken on this item yet
    seq: int  # order of asking (increasing)
    pinned: int | None = None  # chair override: smaller = earlier; pinned go before regular


def category_of(value: str | None) -> str:
    """The quota category a stored value counts as ("" and None count as open)."""
    if not value:
        return OPEN
    if value not in CATEGORIES:
        raise ValueError(f"Unknown quota category: {value!r}.")
    return value


def order(waiting: Sequence[Request], *, rules: Rules, last_category: str | None,
          last_debate_side: str | None = None) -> list[Request]:
    """The waiting requests in speaking order (see the module docstring)."""
    last_category = category_of(last_category) if last_category is not None else None
    if last_debate_side not in (None, "", PRO, CONTRA):
        raise ValueError(f"Unknown debate side: {last_debate_side!r}.")
    _check(waiting)

    points, pinned, pro, contra, flinta, open_ = [], [], [], [], [], []
    for request in waiting:
        if request.kind == POINT_OF_ORDER:
            points.append(request)
        elif request.pinned is not None:
            pinned.append(request)
        elif request.kind == PRO:
            pro.append(request)
        elif request.kind == CONTRA:
            contra.append(request)
        elif category_of(request.category) == FLINTA:
            flinta.append(request)
        else:
            open_.append(request)

    def asked(r: Request):
        return (r.seq, r.id)

    def regular_key(r: Request):
        repeat = not r.first_time if rules.first_time_first else False
        return (repeat, r.seq, r.id)

    points.sort(key=asked)
    pinned.sort(key=lambda r: (r.pinned, r.seq, r.id))
    pro.sort(key=asked)
    contra.sort(key=asked)
    flinta.sort(key=regular_key)
    open_.sort(key=regular_key)

    debate = _take_turns(*((contra, pro) if last_debate_side == PRO else (pro, contra)))
    if rules.alternate:
        regular = _take_turns(*((open_, flinta) if last_category == FLINTA else (flinta, open_)))
    else:
        regular = sorted(flinta + open_, key=regular_key)
    return points + pinned + debate + regular


def next_up(waiting: Sequence[Request], *, rules: Rules, last_category: str | None,
            last_debate_side: str | None = None) -> Request | None:
    """Who speaks next, or None when nobody is waiting."""
    ordered = order(waiting, rules=rules, last_category=last_category,
                    last_debate_side=last_debate_side)
    return ordered[0] if ordered else None


def _take_turns(first: list[Request], second: list[Request]) -> list[Request]:
    """first[0], second[0], first[1], ...; when one list runs out the other continues."""
    return [r for pair in zip_longest(first, second) for r in pair if r is not None]


def _check(waiting: Iterable[Request]) -> None:
    # The caller builds requests from rows, so a bad value here is a programming error, not
    # user input: fail loudly rather than put someone in a wrong place.
    seen = set()
    for request in waiting:
        if request.kind not in KINDS:
            raise ValueError(f"Unknown kind of request: {request.kind!r}.")
        category_of(request.category)
        if request.id in seen:
            raise ValueError(f"Request {request.id} is waiting twice.")
        seen.add(request.id)
