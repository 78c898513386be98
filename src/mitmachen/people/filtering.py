"""The staff contact list's filter: from the query string to contacts, shared by the list page,
its export and bulk actions, and mailings to "the contacts of a filtered list"."""

from mitmachen.people import selectors
from mitmachen.people.forms import ContactFilterForm


def described(form) -> str:
    """What a list read asked for, for the audit log: the filters, but not the search text,
    which may itself name a person (and would survive that person's erasure)."""
    if not form.is_bound or not form.is_valid():
        return "all"
    data = form.cleaned_data
    parts = ["text search"] if data["q"] else []
    parts += [f"{key}={getattr(data[key], 'pk', data[key])}"
              for key in ("status", "district", "group", "consent") if data[key]]
    return ", ".join(parts) or "all"


def filtered(query, organisation):
    form = ContactFilterForm(query or None, organisation=organisation)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        contacts = selectors.search(
            organisation, text=data["q"], status=data["status"],
            district_id=data["district"].pk if data["district"] else None,
            group_id=data["group"].pk if data["group"] else None,
            consent=data["consent"], order=data["order"] or "name")
    else:
        contacts = selectors.search(organisation)
    return form, contacts
