from django import forms
from django.test.html import parse_html

from mitmachen.core.widgets import FastSelect


def test_fast_select_renders_like_djangos_select():
    choices = [("", "alle"), ("a&b", "A & B"), ("c", "<C>")]
    for value in ("", "a&b", "c", None):
        fast = FastSelect(choices=choices, attrs={"id": "id_x", "class": "wide"})
        slow = forms.Select(choices=choices, attrs={"id": "id_x", "class": "wide"})
        assert parse_html(fast.render("x", value)) == parse_html(slow.render("x", value))
