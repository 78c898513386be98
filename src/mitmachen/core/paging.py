"""One query for a page and its total, for lists large enough that counting costs."""

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window


def page_of(queryset: QuerySet, number, *, selective: bool, per_page: int = 50) -> Page:
    """The cheaper of the two ways to get a page and its total.

    A selective search (few matches, found through an index) is cheapest as one query with the
    count alongside; a broad filter (tens of thousands of rows) is cheapest as a separate count
    that an index answers alone, because a window count must fetch every matching row.
    """
    if selective:
        return page_with_total(queryset, number, per_page)
    return Paginator(queryset, per_page).get_page(number)


def page_with_total(queryset: QuerySet, number, per_page: int = 50) -> Page:
    """Like Paginator.get_page, but the count comes with the rows (COUNT(*) OVER ()).

    The separate COUNT query a Paginator runs repeats the whole search; at a million contacts
    that doubles the time of a page.
    """
    try:
        number = min(max(1, int(number)), 1_000_000)
    except (TypeError, ValueError, OverflowError):
        number = 1
    paginator = Paginator(queryset, per_page)
    start = (number - 1) * per_page
    rows = list(queryset.annotate(total_count=Window(Count("pk")))[start:start + per_page])
    total = rows[0].total_count if rows else queryset.count()
    paginator.__dict__["count"] = total  # what Paginator.count would have asked the database
    if not rows and number > 1 and total:
        return page_with_total(queryset, paginator.num_pages, per_page)
    return Page(rows, number, paginator)
