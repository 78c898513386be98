import pytest

from mitmachen.core.paging import page_with_total
from mitmachen.people.models import Contact

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("number,expected_page,first", [
    (1, 1, "P000"), ("2", 2, "P050"), (3, 3, "P100"), (99, 3, "P100"), ("x", 1, "P000"),
    (-4, 1, "P000"),
])
def test_page_and_total_from_one_query(world, number, expected_page, first):
    Contact.objects.bulk_create([Contact(organisation=world.kassel, first_name=f"P{n:03d}")
                                 for n in range(120)])
    page = page_with_total(Contact.objects.order_by("first_name"), number)
    assert page.paginator.count == 120 and page.paginator.num_pages == 3
    assert page.number == expected_page and page.object_list[0].first_name == first
    assert len(page.object_list) == (20 if expected_page == 3 else 50)


def test_empty_result(world):
    page = page_with_total(Contact.objects.all(), 1)
    assert page.paginator.count == 0 and list(page) == []


@pytest.mark.parametrize("selective", [True, False])
def test_both_ways_give_the_same_page(world, selective):
    from mitmachen.core.paging import page_of

    Contact.objects.bulk_create([Contact(organisation=world.kassel, first_name=f"P{n:03d}")
                                 for n in range(70)])
    page = page_of(Contact.objects.order_by("first_name"), "2", selective=selective)
    assert page.paginator.count == 70 and page.number == 2
    assert [c.first_name for c in page][:2] == ["P050", "P051"]
