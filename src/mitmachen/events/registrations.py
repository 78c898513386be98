"""Registrations, the waiting list and seat offers: every write that touches a seat.

Each write locks the event row first (`SELECT … FOR UPDATE` on PostgreSQL; SQLite write
transactions start IMMEDIATE and so run one at a time), then decides and inserts. Taking the
lock before the insert makes the primary key the order of arrival, which the waiting list
follows. The seat counters carry check constraints, so an overbooking write fails in the
database even if a code path forgot the lock.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry
from mitmachen.events import notifications
from mitmachen.events.models import Event, Question, Registration, TicketCategory

R = Registration.Status
HALTED = (Event.Status.CANCELLED, Event.Status.POSTPONED)
TOKEN_SALT = "mitmachen.events.registration"  # noqa: S105 (an HMAC salt, not a secret)
EMAIL_SALT = "mitmachen.events.email"  # noqa: S105 (an HMAC salt, not a secret)
ANSWER_MAX = 1000


# --- personal links ------------------------------------------------------------------------

def personal_token(registration: Registration) -> str:
    """The secret in the registrant's personal link. Derived, not stored, so a reminder sent
    weeks later can carry the same link; a new nonce invalidates it."""
    mac = salted_hmac(TOKEN_SALT, f"{registration.pk}:{registration.nonce}").hexdigest()[:32]
    return f"{registration.pk}-{mac}"


def email_code(registration: Registration) -> str:
    """Proof of having read the e-mail sent to the registrant's address (double opt-in): the
    personal link alone does not confirm, as whoever filled in the form has that too."""
    return salted_hmac(EMAIL_SALT, f"{registration.pk}:{registration.nonce}:"
                                   f"{registration.email}").hexdigest()[:24]


def email_code_valid(registration: Registration, code: str) -> bool:
    return bool(code) and len(code) < 80 and constant_time_compare(email_code(registration),
                                                                  code)


def registration_by_token(token: str) -> Registration:
    invalid = ValidationError(_("This link is not valid."))
    pk, _sep, mac = (token or "").partition("-")
    if not (pk.isascii() and pk.isdigit()) or len(token) > 80:
        raise invalid
    registration = Registration.objects.select_related("event", "event__organisation",
                                                       "category").filter(pk=int(pk)).first()
    if registration is None or not constant_time_compare(personal_token(registration), token):
        raise invalid
    return registration


# --- rules -----------------------------------------------------------------------------------

def registration_problem(event: Event, *, staff: bool, member: bool, now=None) -> str | None:
    """Why nobody (or this kind of person) can register now, or None."""
    now = now or timezone.now()
    if event.registration == Event.Registration.NONE:
        return _("This event takes no registrations.")
    if event.status in (Event.Status.CANCELLED, Event.Status.POSTPONED):
        return _("This event has been cancelled or postponed.")
    if (event.ends_at or event.starts_at) < now:
        return _("This event is over.")
    if staff:
        return None
    if event.registration == Event.Registration.INVITED:
        return _("Registration for this event is by invitation only.")
    if event.registration == Event.Registration.MEMBERS and not member:
        return _("Only members can register for this event. Please log in.")
    if event.registration_opens_at and now < event.registration_opens_at:
        return _("Registration has not opened yet.")
    if event.registration_closes_at and now >= event.registration_closes_at:
        return _("Registration has closed.")
    return None


def _clean_text(value, field: str, max_length: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError({field: _("Please enter text.")})
    value = value.strip()
    if "\x00" in value:
        raise ValidationError({field: _("The text contains a character that is not allowed.")})
    if len(value) > max_length:
        raise ValidationError({field: _("Please use at most %(n)d characters.") % {
            "n": max_length}})
    return value


def clean_answers(event: Event, answers: dict | None) -> dict:
    """Answers keyed by question id (as a string), checked against the organiser's questions."""
    answers = answers or {}
    if not isinstance(answers, dict):
        raise ValidationError({"answers": _("The answers could not be read.")})
    cleaned, errors = {}, {}
    for question in event.questions.all():
        key = str(question.pk)
        raw = answers.get(key, answers.get(question.pk, ""))
        if question.kind == Question.Kind.YES_NO:
            value = raw if isinstance(raw, bool) else str(raw).lower() in ("1", "true", "yes",
                                                                          "on", "ja")
            if question.required and not value:
                errors[f"q{key}"] = _("Please answer this question.")
            cleaned[key] = value
            continue
        try:
            value = _clean_text(raw if raw is not None else "", f"q{key}", ANSWER_MAX)
        except ValidationError as exc:
            errors[f"q{key}"] = exc.messages[0]
            continue
        if question.required and not value:
            errors[f"q{key}"] = _("Please answer this question.")
        elif value and question.kind == Question.Kind.CHOICE and value not in question.choices:
            errors[f"q{key}"] = _("Please choose one of the offered answers.")
        cleaned[key] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


# --- seats -----------------------------------------------------------------------------------

def lock_event(event: Event) -> Event:
    # of=self: locking the organisation row too would make all its events queue behind each other.
    return Event.objects.select_for_update(of=("self",)).select_related("organisation").get(
        pk=event.pk)


def _lock_registration(registration: Registration) -> tuple[Event, Registration]:
    """Its event locked first (the order every seat write keeps), then the row, fresh."""
    event = lock_event(registration.event)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    registration.event = event
    return event, registration


def _take_seat(event: Event, category: TicketCategory | None) -> bool:
    if event.capacity is not None and event.seats_taken >= event.capacity:
        return False
    if category is not None:
        category = TicketCategory.objects.select_for_update().get(pk=category.pk)
        if category.capacity is not None and category.seats_taken >= category.capacity:
            return False
        TicketCategory.objects.filter(pk=category.pk).update(seats_taken=F("seats_taken") + 1)
    Event.objects.filter(pk=event.pk).update(seats_taken=F("seats_taken") + 1)
    event.seats_taken += 1
    return True


def _free_seat(event: Event, category_id: int | None) -> None:
    Event.objects.filter(pk=event.pk).update(seats_taken=F("seats_taken") - 1)
    event.seats_taken -= 1
    if category_id is not None:
        TicketCategory.objects.filter(pk=category_id).update(seats_taken=F("seats_taken") - 1)


def _set(registration: Registration, status: str, actor, **fields) -> None:
    before = registration.status
    registration.status = status
    for name, value in fields.items():
        setattr(registration, name, value)
    registration.save(update_fields=["status", "updated_at", *fields])
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=registration,
                 organisation=registration.event.organisation,
                 changes={"status": [before, status]})


def _seat_or_wait(event: Event, registration: Registration, actor, now) -> None:
    if _take_seat(event, registration.category):
        _set(registration, R.CONFIRMED, actor, confirmed_at=now)
        notifications.confirmed(registration)
    else:
        _set(registration, R.WAITING, actor, waiting_since=now)
        notifications.waiting(registration)


def promote(event: Event, actor, now) -> list[Registration]:
    """Give free seats to the waiting list, oldest first (call with the event locked).

    With `offer_hours` 0 a promoted person is confirmed at once; otherwise they get an offer
    with a deadline (never after the start)."""
    promoted = []
    if event.status in HALTED or event.starts_at <= now:
        return promoted
    waiting = event.registrations.filter(status=R.WAITING).select_related("category")
    for registration in waiting.order_by("waiting_since", "pk").iterator():
        if event.capacity is not None and event.seats_taken >= event.capacity:
            break
        registration.event = event
        if not _take_seat(event, registration.category):
            continue  # their ticket category is full; someone behind them may fit another
        if event.offer_hours == 0:
            _set(registration, R.CONFIRMED, actor, confirmed_at=now)
            notifications.confirmed(registration, promoted=True)
        else:
            deadline = min(now + timedelta(hours=event.offer_hours), event.starts_at)
            _set(registration, R.OFFERED, actor, offer_expires_at=deadline)
            notifications.offered(registration)
            transaction.on_commit(lambda pk=registration.pk, when=deadline:
                                  _schedule_expiry(pk, when))
        promoted.append(registration)
    return promoted


def _schedule_expiry(registration_id: int, when) -> None:
    from mitmachen.events.tasks import offer_expire

    try:
        offer_expire.using(run_after=when + timedelta(seconds=1)).enqueue(registration_id)
    except Exception:  # `mitmachen events_tick` (cron) expires it as well
        import logging

        logging.getLogger("mitmachen.events").exception("could not schedule an offer expiry")


# --- writes ----------------------------------------------------------------------------------

def registration_create(*, event: Event, first_name: str, last_name: str = "", email: str = "",
                        phone: str = "", answers: dict | None = None,
                        category: TicketCategory | None = None, contact=None, user=None,
                        privacy_accepted: bool = False,
                        source: str = Registration.Source.ONLINE, language: str = "de",
                        staff_note: str = "", actor=None) -> Registration:
    """Register someone; they get a seat, a place on the waiting list, or (double opt-in,
    approval) a pending registration. `actor` is the staff member entering it, if any."""
    # An API registration is entered by staff with a token (the API's public path uses ONLINE).
    staff = source in (Registration.Source.STAFF, Registration.Source.PHONE,
                       Registration.Source.API)
    member = contact is not None and contact.status == "member"
    problem = registration_problem(event, staff=staff, member=member)
    if problem:
        raise ValidationError(problem)
    registration = Registration(
        event=event, contact=contact, user=user, source=source,
        first_name=_clean_text(first_name, "first_name", 100),
        last_name=_clean_text(last_name, "last_name", 100),
        email=_clean_text(email, "email", 254).lower(),
        phone=_clean_text(phone, "phone", 40),
        staff_note=_clean_text(staff_note, "staff_note", 500),
        language=language if language in ("de", "en") else "de",
        answers=clean_answers(event, answers), status=R.PENDING,
    )
    if not registration.first_name:
        raise ValidationError({"first_name": _("Please enter a name.")})
    if not registration.email and not registration.phone:
        raise ValidationError({"email": _("Please give an e-mail address or a phone number.")})
    if not privacy_accepted:
        raise ValidationError({"privacy": _("Please agree to the privacy notice.")})
    has_categories = bool(event.categories.all())  # prefetched by the form's view
    if category is not None and category.event_id != event.pk:
        raise ValidationError({"category": _("Please choose one of this event's tickets.")})
    if has_categories and category is None:
        raise ValidationError({"category": _("Please choose a ticket.")})
    registration.category = category
    registration.full_clean(exclude=["event", "contact", "user", "category", "status"],
                            validate_constraints=False)
    # A logged-in person skips it only for their own account's (already proven) address.
    double_opt_in = event.double_opt_in and not staff and not (
        user is not None and registration.email == (user.email or "").lower())
    if double_opt_in and not registration.email:
        raise ValidationError({"email": _("Please give an e-mail address.")})

    with transaction.atomic():
        event = lock_event(event)
        now = timezone.now()  # after the lock: waiting_since follows the order of service
        problem = registration_problem(event, staff=staff, member=member, now=now)
        if problem:  # the event changed since the form was checked
            raise ValidationError(problem)
        registration.event = event
        try:
            with transaction.atomic():  # a duplicate address also gives the seat back
                if double_opt_in:
                    registration.status = R.UNCONFIRMED
                elif event.approval_required and not staff:
                    registration.status = R.PENDING
                elif _take_seat(event, category):
                    registration.status, registration.confirmed_at = R.CONFIRMED, now
                else:
                    registration.status, registration.waiting_since = R.WAITING, now
                registration.save()
        except IntegrityError:
            raise ValidationError({"email": _(
                "This e-mail address is already registered for this event.")}) from None
        audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=registration,
                     organisation=event.organisation,
                     changes={"source": source, "status": registration.status,
                              "category": category and category.name})
        NOTICE[registration.status](registration)
    return registration


NOTICE = {
    R.UNCONFIRMED: notifications.confirm_email,
    R.PENDING: notifications.pending,
    R.CONFIRMED: notifications.confirmed,
    R.WAITING: notifications.waiting,
}


def registration_confirm_email(*, registration: Registration) -> Registration:
    """The double opt-in link was followed: the registration goes on like a fresh one."""
    with transaction.atomic():
        event, registration = _lock_registration(registration)
        now = timezone.now()  # after the lock: waiting_since follows the order of service
        if registration.status != R.UNCONFIRMED:
            return registration
        member = registration.contact is not None and registration.contact.status == "member"
        problem = registration_problem(event, staff=False, member=member, now=now)
        if problem:
            raise ValidationError(problem)
        if event.approval_required:
            _set(registration, R.PENDING, None)
            notifications.pending(registration)
        else:
            _seat_or_wait(event, registration, None, now)
    return registration


def registration_decide(*, registration: Registration, approve: bool, actor) -> Registration:
    """Approve or decline a registration awaiting approval."""
    with transaction.atomic():
        event, registration = _lock_registration(registration)
        now = timezone.now()  # after the lock: waiting_since follows the order of service
        if registration.status != R.PENDING:
            raise ValidationError(_("This registration has already been decided."))
        if approve and event.status in HALTED:
            raise ValidationError(_("This event has been cancelled or postponed."))
        if approve:
            _seat_or_wait(event, registration, actor, now)
        else:
            _set(registration, R.DECLINED, actor)
            notifications.declined(registration)
    return registration


def registration_cancel(*, registration: Registration, actor=None,
                        notify: bool = True) -> Registration:
    """Cancel (by the registrant's link, or by staff): the seat goes to the waiting list and
    the person gets no further reminder or access data."""
    now = timezone.now()
    with transaction.atomic():
        event, registration = _lock_registration(registration)
        if registration.status not in Registration.ACTIVE:
            return registration
        held = registration.holds_seat
        _set(registration, R.CANCELLED, actor, cancelled_at=now, offer_expires_at=None)
        if notify:
            notifications.cancelled(registration)
        if held:
            _free_seat(event, registration.category_id)
            promote(event, actor, now)
    return registration


def offer_accept(*, registration: Registration) -> Registration:
    """The promoted person takes the seat offered to them."""
    now = timezone.now()
    with transaction.atomic():
        event, registration = _lock_registration(registration)
        if registration.status == R.CONFIRMED:
            return registration
        if registration.status != R.OFFERED:
            raise ValidationError(_("There is no seat offered to you at the moment."))
        if event.status in HALTED:
            raise ValidationError(_("This event has been cancelled or postponed."))
        expired = bool(registration.offer_expires_at and registration.offer_expires_at <= now)
        if expired:
            _expire(event, registration, now)
        else:
            _set(registration, R.CONFIRMED, None, confirmed_at=now, offer_expires_at=None)
            notifications.confirmed(registration, promoted=True)
    if expired:  # raised after the commit: inside it, the expiry would be rolled back
        raise ValidationError(_("Sorry, the time to accept this seat has run out."))
    return registration


def _expire(event: Event, registration: Registration, now) -> None:
    _set(registration, R.EXPIRED, None)
    if event.status not in HALTED:  # they were told of the cancellation already
        notifications.offer_expired(registration)
    _free_seat(event, registration.category_id)
    promote(event, None, now)


def offers_expire(*, now=None, registration_id: int | None = None) -> int:
    """Expire the offers whose deadline has passed and move the next people up.

    Safe to run twice and from several workers: each event is handled under its lock."""
    now = now or timezone.now()
    due = Registration.objects.filter(status=R.OFFERED, offer_expires_at__lte=now)
    if registration_id is not None:
        due = due.filter(pk=registration_id)
    count = 0
    for event_id in sorted(set(due.values_list("event_id", flat=True))):
        with transaction.atomic():
            event = lock_event(Event(pk=event_id))
            for registration in due.filter(event_id=event_id).select_for_update().order_by("pk"):
                registration.event = event
                _expire(event, registration, now)
                count += 1
    return count


def attendance_record(*, registration: Registration, present: bool, actor) -> Registration:
    """Tick someone off on the day (or undo the tick)."""
    with transaction.atomic():
        registration = Registration.objects.select_for_update().select_related(
            "event__organisation").get(pk=registration.pk)
        if registration.status != R.CONFIRMED:
            raise ValidationError(_("Only confirmed registrations can be checked in."))
        attended = timezone.now() if present else None
        if bool(registration.attended_at) == present:
            return registration
        registration.attended_at = attended
        registration.save(update_fields=["attended_at", "updated_at"])
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=registration,
                     organisation=registration.event.organisation,
                     changes={"attended": [not present, present]})
    return registration


def waiting_position(registration: Registration) -> int | None:
    if registration.status != R.WAITING:
        return None
    from django.db.models import Q

    mine = registration.waiting_since
    return Registration.objects.filter(event_id=registration.event_id, status=R.WAITING).filter(
        Q(waiting_since__lt=mine) | Q(waiting_since=mine, pk__lte=registration.pk)).count()
