"""The coordinator's pages: programmes, the pool of applicants with the workload guard, one
application, the fixed/forbidden pairs, the matching and its proposals, and the pairs'
progress (never a meeting's summary or a private note: selectors.progress gives none).

Every page needs Perm.MENTORING_MANAGE in the organisation of the URL (core.tenancy): 404 for
people without a role there, 403 for other roles. A programme or application of another
organisation answers 404. Pages that show applicants' profiles or contact details are
audited as reads.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from mitmachen.core.audit import audit_read
from mitmachen.core.errors import add_to_form, text_of
from mitmachen.core.models import AuditEntry
from mitmachen.core.roles import Perm
from mitmachen.core.tenancy import staff_organisation
from mitmachen.mentoring import matching as engine
from mitmachen.mentoring import selectors, services
from mitmachen.mentoring.forms import DeclineForm, ProgrammeForm, RuleForm, programme_initial
from mitmachen.mentoring.models import Application, MatchRun, Pairing, PairRule, Programme

A = Application.Status
P = Pairing.Status


def _not_saved() -> str:
    return _("Please correct the errors below. Nothing was saved.")


def _programme(request, slug, pk) -> Programme:
    organisation = staff_organisation(request, slug, Perm.MENTORING_MANAGE)
    return get_object_or_404(Programme.objects.select_related("organisation", "coordinator"),
                             pk=pk, organisation=organisation)


def _context(programme: Programme, tab: str, **extra) -> dict:
    return {"programme": programme, "organisation": programme.organisation, "tab": tab,
            **extra}


# --- programmes ------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET"])
def programmes(request, slug):
    organisation = staff_organisation(request, slug, Perm.MENTORING_MANAGE)
    active = ~Q(applications__status__in=[A.WITHDRAWN, A.DECLINED])
    rows = list(Programme.objects.filter(organisation=organisation).annotate(
        n_mentees=Count("applications", distinct=True,
                        filter=Q(applications__role="mentee") & active),
        n_mentors=Count("applications", distinct=True,
                        filter=Q(applications__role="mentor") & active),
        n_pairs=Count("pairings", distinct=True,
                      filter=Q(pairings__status__in=[P.PROPOSED, P.ACTIVE])),
        n_waiting=Count("applications", distinct=True,
                        filter=Q(applications__role="mentee", applications__status=A.WAITING)),
    ).order_by("-cohort_starts", "title"))
    return render(request, "mentoring/programmes.html", {"organisation": organisation,
                                                         "rows": rows})


def _save_programme(request, organisation, form, programme=None) -> Programme:
    """Create or update, then move the status; one transaction, so a refused status change
    leaves the rest unsaved too."""
    status = form.cleaned_data["status"]
    with transaction.atomic():
        if programme is None:
            programme = services.programme_create(organisation=organisation,
                                                  actor=request.user,
                                                  data=form.service_data())
        else:
            programme = services.programme_update(programme=programme, actor=request.user,
                                                   data=form.service_data())
        if status != programme.status:
            programme = services.programme_set_status(programme=programme, status=status,
                                                      actor=request.user)
    return programme


@login_required
@require_http_methods(["GET", "POST"])
def programme_new(request, slug):
    organisation = staff_organisation(request, slug, Perm.MENTORING_MANAGE)
    initial = {"coordinator": request.user.pk, "max_mentees_per_mentor": 3,
               "contact_email": organisation.contact_email}
    form = ProgrammeForm(request.POST if request.method == "POST" else None,
                         organisation=organisation, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                programme = _save_programme(request, organisation, form)
            except ValidationError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, _("The programme has been created."))
                return redirect("mentoring:programme_detail", slug=slug, pk=programme.pk)
        messages.error(request, _not_saved())
    return render(request, "mentoring/programme_form.html",
                  {"organisation": organisation, "form": form, "programme": None},
                  status=400 if form.is_bound else 200)


@login_required
@require_http_methods(["GET", "POST"])
def programme_edit(request, slug, pk):
    programme = _programme(request, slug, pk)
    form = ProgrammeForm(request.POST if request.method == "POST" else None,
                         organisation=programme.organisation, programme=programme,
                         initial=programme_initial(programme))
    if request.method == "POST":
        if form.is_valid():
            try:
                _save_programme(request, programme.organisation, form, programme)
            except ValidationError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, _("The programme has been saved."))
                return redirect("mentoring:programme_detail", slug=slug, pk=pk)
        messages.error(request, _not_saved())
    return render(request, "mentoring/programme_form.html",
                  _context(programme, "edit", form=form), status=400 if form.is_bound else 200)


# --- the pool --------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET"])
def programme_detail(request, slug, pk):
    programme = _programme(request, slug, pk)
    pool = selectors.pool(programme)
    names = {row["application"].pk: row["application"].name
             for row in pool["mentees"] + pool["mentors"]}
    for row in pool["mentees"]:
        pairing = row["open_pairing"]
        row["partner"] = names.get(pairing.mentor_id) if pairing else None
    waiting = selectors.waiting_list(programme)
    audit_read(actor=request.user, obj=programme, organisation=programme.organisation,
               what=_("Mentoring pool: %(title)s") % {"title": programme.title})
    return render(request, "mentoring/programme_detail.html", _context(
        programme, "detail", mentees=pool["mentees"], mentors=pool["mentors"],
        waiting=waiting, hours_min=selectors.HOURS_PER_MENTEE_MIN,
        roles_warning=selectors.ROLES_WARNING, public_url=reverse("mentoring:programme",
                                            args=[programme.organisation.slug,
                                                  programme.slug])))


# --- one application -------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def application(request, slug, pk, app):
    programme = _programme(request, slug, pk)
    found = get_object_or_404(Application.objects.select_related("user"), pk=app,
                              programme=programme)
    rule_form = RuleForm(None, programme=programme, person=found)
    decline_form = DeclineForm()
    side = "mentee" if found.role == Application.Role.MENTEE else "mentor"
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        done, error = None, _not_saved()
        if action in ("retract", "end"):
            done, error = _pair_action(request, found, side, action)
        elif action == "withdraw":
            done, error = _record_withdrawal(request, found)
        elif action == "rule":
            rule_form = RuleForm(request.POST, programme=programme, person=found)
            if rule_form.is_valid():
                mentee, mentor = rule_form.pair()
                try:
                    services.rule_set(programme=programme, mentee=mentee, mentor=mentor,
                                      kind=rule_form.cleaned_data["kind"],
                                      reason=rule_form.cleaned_data["reason"],
                                      actor=request.user)
                except ValidationError as exc:
                    add_to_form(rule_form, exc)
                    error = text_of(exc)
                else:
                    done = _("The rule has been saved; it applies from the next matching.")
        elif action == "decline":
            decline_form = DeclineForm(request.POST)
            if decline_form.is_valid():
                try:
                    services.application_decline(application=found, actor=request.user,
                                                 note=decline_form.cleaned_data["note"])
                except ValidationError as exc:
                    add_to_form(decline_form, exc)
                    error = text_of(exc)
                else:
                    done = _("The application has been declined; the applicant has been "
                             "told.")
        elif action == "rematch":
            try:
                pairing = services.rematch(application=found, actor=request.user)
            except ValidationError as exc:
                error = text_of(exc)
            else:
                done = (_("A new proposal has been sent.") if pairing else
                        _("No mentor with a free place fits: the mentee stays on the waiting "
                          "list."))
        else:
            error = _("Please use one of the buttons on this page.")
        if done is not None:
            messages.success(request, done)
            return redirect("mentoring:application", slug=slug, pk=pk, app=found.pk)
        messages.error(request, error)
        found.refresh_from_db()
        status = 400
    pairings = list(Pairing.objects.filter(**{side: found}).select_related("mentee", "mentor")
                    .order_by("pk"))
    for pairing in pairings:
        pairing.partner = pairing.mentor if side == "mentee" else pairing.mentee
        pairing.lines = selectors.explanation_lines(pairing.explanation)
    rules = list(PairRule.objects.filter(**{side: found}).select_related("mentee", "mentor"))
    for rule in rules:
        rule.partner = rule.mentor if side == "mentee" else rule.mentee
    workload = None
    if side == "mentor":
        workload = next((row for row in selectors.pool(programme)["mentors"]
                         if row["application"].pk == found.pk), None)
    audit_read(actor=request.user, obj=found, organisation=programme.organisation,
               what=_("Mentoring application of %(name)s") % {"name": found.name})
    return render(request, "mentoring/application.html", _context(
        programme, "detail", application=found, pairings=pairings, rules=rules,
        rule_form=rule_form, decline_form=decline_form, workload=workload,
        can_withdraw=found.status not in services.GONE,
        can_decline=found.status in (A.APPLIED, A.WAITING) and not any(
            p.status in (P.PROPOSED, P.ACTIVE) for p in pairings),
        can_rematch=(side == "mentee" and found.status in services.MATCHABLE_MENTEE
                     and not any(p.status in (P.PROPOSED, P.ACTIVE) for p in pairings)),
    ), status=status)


def _pair_action(request, found: Application, side: str, action: str):
    """Retract an open proposal or end an active pair of `found`, on the coordinator's
    behalf. Returns (success text or None, error text)."""
    pairing = Pairing.objects.filter(**{side: found}, pk=_int(request.POST.get("pairing"))
                                     ).first()
    if pairing is None:
        return None, _("This pair no longer exists.")
    try:
        if action == "retract":
            services.proposal_retract(pairing=pairing, actor=request.user)
            return _("The proposal has been taken back; both have been told. The mentor's "
                     "place went to the waiting list first, and the mentee has been matched "
                     "again or put on the waiting list."), ""
        services.pairing_end(pairing=pairing, actor=request.user,
                             mentee_continues=request.POST.get("mentee_continues") == "yes")
    except ValidationError as exc:
        return None, text_of(exc)
    return _("The pair has ended; both have been told."), ""


def _record_withdrawal(request, found: Application):
    """The coordinator records that someone has told her they leave."""
    if request.POST.get("confirm") != "yes":
        return None, _("Please confirm that the person has told you that they withdraw.")
    try:
        services.application_withdraw(application=found, actor=request.user)
    except ValidationError as exc:
        return None, text_of(exc)
    return _("The withdrawal has been recorded: open proposals are declined, pairs have "
             "ended, partners and the applicant have been told."), ""


# --- the log ---------------------------------------------------------------------------------

LOG_PAGE_SIZE = 50


@login_required
@require_http_methods(["GET"])
def log(request, slug):
    """The audit rows of the organisation's mentoring: kept from the administrators' audit page
    (core.views.audit), because who applies to a programme for women* and how their pairs go
    is the coordinator's business alone."""
    organisation = staff_organisation(request, slug, Perm.MENTORING_MANAGE)
    entries = AuditEntry.objects.filter(organisation=organisation,
                                        object_type__startswith="mentoring.").order_by(
        "-created_at", "-id")
    page = Paginator(entries, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    audit_read(actor=request.user, organisation=organisation, what=_("Mentoring log"))
    return render(request, "mentoring/log.html", {"organisation": organisation, "page": page})


# --- rules -----------------------------------------------------------------------------------

def _back(request, programme: Programme, default: str) -> str:
    """Where a rule's buttons came from (the matching, an application), if it is a page of
    this programme; else `default`."""
    target = request.POST.get("next", "")
    prefix = reverse("mentoring:programme_detail", args=[programme.organisation.slug,
                                                         programme.pk])
    if target.startswith(prefix) and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@login_required
@require_http_methods(["GET", "POST"])
def rules(request, slug, pk):
    programme = _programme(request, slug, pk)
    here = reverse("mentoring:rules", args=[slug, pk])
    form = RuleForm(None, programme=programme)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        back = _back(request, programme, here)
        if action == "remove":
            rule = PairRule.objects.filter(programme=programme,
                                           pk=_int(request.POST.get("rule"))).first()
            if rule is None:
                messages.error(request, _("This rule no longer exists."))
            else:
                services.rule_remove(rule=rule, actor=request.user)
                messages.success(request, _("The rule has been removed."))
            return redirect(back)
        form = RuleForm(request.POST, programme=programme)
        if form.is_valid():
            try:
                mentee, mentor = form.pair()
                services.rule_set(programme=programme, mentee=mentee, mentor=mentor,
                                  kind=form.cleaned_data["kind"],
                                  reason=form.cleaned_data["reason"], actor=request.user)
            except ValidationError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, _("The rule has been saved; it applies from the "
                                            "next matching."))
                return redirect(back)
        if back != here:
            # A button on another page (the matching): say why there, not on a new page.
            messages.error(request, " ".join(str(e) for errors in form.errors.values()
                                             for e in errors))
            return redirect(back)
        messages.error(request, _not_saved())
        status = 400
    rows = list(PairRule.objects.filter(programme=programme).select_related(
        "mentee", "mentor", "created_by"))
    # The rules and the form's choices name the applicants.
    audit_read(actor=request.user, obj=programme, organisation=programme.organisation,
               what=_("Mentoring rules: %(title)s") % {"title": programme.title})
    return render(request, "mentoring/rules.html", _context(programme, "rules", rows=rows,
                                                            form=form), status=status)


def _int(value) -> int | None:
    value = value.strip() if isinstance(value, str) else ""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


# --- matching --------------------------------------------------------------------------------

def _unmatched_text(item: dict) -> tuple[str, list[str]]:
    """An unmatched mentee's reason in words, and the constraints that ruled mentors out."""
    if item.get("reason") == engine.CAPACITY_EXHAUSTED:
        n = item.get("compatible", 0)
        return ngettext(
            "The place of the %(n)d compatible mentor went to another mentee.",
            "The places of all %(n)d compatible mentors went to other mentees.", n) % {"n": n}, []
    lines = [ngettext("%(constraint)s: rules out %(n)d mentor",
                      "%(constraint)s: rules out %(n)d mentors", count) % {
        "constraint": capfirst(services.constraint_label(code)), "n": count}
        for code, count in item.get("ruled_out", [])]
    return _("No compatible mentor."), lines


def _run_view(programme: Programme, run: MatchRun | None) -> dict | None:
    if run is None:
        return None
    result = run.result or {}
    ids = {p["mentee"] for p in result.get("pairs", [])} | {
        p["mentor"] for p in result.get("pairs", [])} | {
        u["mentee"] for u in result.get("unmatched", [])}
    people = {a.pk: a for a in programme.applications.filter(pk__in=ids)}
    fixed = {tuple(pair) for pair in result.get("fixed", [])}
    rules = {(r.mentee_id, r.mentor_id): r.kind for r in
             PairRule.objects.filter(programme=programme)}
    pairs = [{"mentee": people.get(p["mentee"]), "mentor": people.get(p["mentor"]),
              "score": p["score"], "lines": selectors.explanation_lines(p["explanation"]),
              "fixed": (p["mentee"], p["mentor"]) in fixed,
              "rule": rules.get((p["mentee"], p["mentor"]))}
             for p in result.get("pairs", [])]
    unmatched = []
    for item in result.get("unmatched", []):
        reason, lines = _unmatched_text(item)
        unmatched.append({"mentee": people.get(item["mentee"]), "reason": reason,
                          "lines": lines})
    greedy_score = result.get("greedy_score", 0)
    better = (round((run.total_score - greedy_score) * 100 / greedy_score, 1)
              if greedy_score else None)
    latest = MatchRun.objects.filter(programme=programme).values_list("pk", flat=True).first()
    return {"run": run, "pairs": pairs, "unmatched": unmatched,
            "greedy_score": greedy_score, "greedy_matched": result.get("greedy_matched", 0),
            "better": better, "can_send": run.sent_at is None and latest == run.pk}


@login_required
@require_http_methods(["GET", "POST"])
def matching(request, slug, pk):
    programme = _programme(request, slug, pk)
    status = 200
    if request.method == "POST":
        try:
            run = services.matching_run(programme=programme, actor=request.user)
        except ValidationError as exc:
            messages.error(request, text_of(exc))
            status = 400
        else:
            messages.success(request, _(
                "The matching has been computed: %(matched)d pairs, %(unmatched)d without a "
                "mentor. Nothing has been sent yet.") % {"matched": run.matched,
                                                         "unmatched": run.unmatched})
            return redirect("mentoring:matching", slug=slug, pk=pk)
    run = MatchRun.objects.filter(programme=programme).order_by("-pk").first()
    here = reverse("mentoring:matching", args=[slug, pk])
    view = _run_view(programme, run)
    waiting = selectors.waiting_times(programme)
    if view is not None or waiting:
        audit_read(actor=request.user, obj=run or programme,
                   organisation=programme.organisation,
                   what=_("Mentoring matching: %(title)s") % {"title": programme.title})
    return render(request, "mentoring/matching.html", _context(
        programme, "matching", view=view, here=here, waiting=waiting,
        n_rules=PairRule.objects.filter(programme=programme).count(),
        can_run=programme.status in services.MATCHING_STATUSES), status=status)


@login_required
@require_http_methods(["GET", "POST"])
def matching_send(request, slug, pk, run):
    programme = _programme(request, slug, pk)
    found = get_object_or_404(MatchRun, pk=run, programme=programme)
    if request.method == "POST":
        try:
            created = services.matching_send(run=found, actor=request.user)
        except ValidationError as exc:
            messages.error(request, text_of(exc))
        else:
            messages.success(request, _(
                "%(n)d proposals have been sent. Both sides answer through their personal "
                "link.") % {"n": len(created)})
        return redirect("mentoring:matching", slug=slug, pk=pk)
    audit_read(actor=request.user, obj=found, organisation=programme.organisation,
               what=_("Mentoring matching: %(title)s") % {"title": programme.title})
    return render(request, "mentoring/matching_send.html", _context(
        programme, "matching", view=_run_view(programme, found)))


# --- pairs -----------------------------------------------------------------------------------

def _progress(programme: Programme) -> list[dict]:
    rows = selectors.progress(programme)
    answers = {pk: (mentee, mentor) for pk, mentee, mentor in Pairing.objects.filter(
        pk__in=[row["pk"] for row in rows]).values_list("pk", "mentee_answer",
                                                         "mentor_answer")}
    labels = dict(Pairing.Answer.choices)
    for row in rows:
        mentee, mentor = answers.get(row["pk"], ("", ""))
        row["answers"] = {"mentee": labels.get(mentee, mentee),
                          "mentor": labels.get(mentor, mentor)}
    return rows


@login_required
@require_http_methods(["GET"])
def pairs(request, slug, pk):
    programme = _programme(request, slug, pk)
    audit_read(actor=request.user, obj=programme, organisation=programme.organisation,
               what=_("Mentoring pairs: %(title)s") % {"title": programme.title})
    return render(request, "mentoring/pairs.html", _context(
        programme, "pairs", rows=_progress(programme)))


@login_required
@require_http_methods(["GET"])
def pairs_print(request, slug, pk):
    programme = _programme(request, slug, pk)
    rows = [row for row in _progress(programme) if row["status"] in (P.PROPOSED, P.ACTIVE)]
    ids = {row["mentee"]["pk"] for row in rows} | {row["mentor"]["pk"] for row in rows}
    contacts = {a.pk: a for a in programme.applications.filter(pk__in=ids)}
    for row in rows:
        row["mentee_app"] = contacts.get(row["mentee"]["pk"])
        row["mentor_app"] = contacts.get(row["mentor"]["pk"])
    audit_read(actor=request.user, obj=programme, organisation=programme.organisation,
               what=_("Mentoring pairs with contact details: %(title)s") % {
                   "title": programme.title})
    return render(request, "mentoring/pairs_print.html", _context(programme, "pairs",
                                                                  rows=rows))
