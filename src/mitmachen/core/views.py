from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponseServerError
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from mitmachen.core import mfa, permissions, services
from mitmachen.core.audit import audit_read, audit_record
from mitmachen.core.dashboard import attention_items
from mitmachen.core.errors import add_to_form, text_of
from mitmachen.core.forms import (
    AuditFilterForm,
    LoginForm,
    PasswordSetForm,
    RoleGrantForm,
    TokenCreateForm,
    TotpCodeForm,
)
from mitmachen.core.models import ApiToken, AuditEntry, RoleAssignment, User
from mitmachen.core.notifications import notify_role_granted
from mitmachen.core.roles import Perm, Role
from mitmachen.core.tenancy import owned_or_404, staff_organisation
from mitmachen.organisations.selectors import public_organisations


def home(request):
    from mitmachen.organisations.models import Cooperation, Municipality

    return render(request, "core/home.html", {
        "organisations": public_organisations(),
        "cooperations": Cooperation.objects.all(),
        "municipalities": Municipality.objects.all(),
    })


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if mfa.is_enrolled(user):
            # The password alone does not log in: the code step finishes the login.
            mfa.pending_login_start(self.request, user=user, next_url=self.get_redirect_url())
            return redirect("core:login_code")
        return super().form_valid(form)


def _safe_next(request, url: str | None) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


_WRONG_CODE = gettext_lazy("This code is not right, or it has been used already. Please "
                           "enter the current code from your app.")
_THROTTLED = gettext_lazy("Too many wrong codes. Please wait 15 minutes and try again.")


def _code_error(user) -> str:
    return str(_THROTTLED if mfa.is_throttled(user) else _WRONG_CODE)


@never_cache
@sensitive_post_parameters("code")
def login_code(request):
    """The second login step, and the step-up for a logged-in session without a code yet."""
    had_pending = mfa.SESSION_PENDING in request.session
    pending = mfa.pending_login(request)
    if pending is not None:
        user = User.objects.filter(pk=pending["user"], is_active=True).first()
        next_url = pending["next"]
    elif request.user.is_authenticated:
        user = request.user
        next_url = request.POST.get("next") or request.GET.get("next") or ""
        if not mfa.is_enrolled(user) or mfa.session_verified(request):
            return redirect(_safe_next(request, next_url))
    else:
        user = None
    if user is None:
        mfa.pending_login_clear(request)
        if had_pending:
            messages.error(request, _("The time for entering the code has run out. Please log "
                                      "in again."))
        return redirect("core:login")
    form = TotpCodeForm(request.POST or None, autofocus=True)
    if request.method == "POST" and form.is_valid():
        if mfa.totp_verify(user=user, code=form.cleaned_data["code"]):
            if pending is not None:
                mfa.pending_login_clear(request)
                auth_login(request, user, backend=pending["backend"] or None)
            mfa.mark_verified(request)
            return redirect(_safe_next(request, next_url))
        form.add_error("code", _code_error(user))
        audit_record(actor=None, action=AuditEntry.Action.LOGIN_FAILED, obj=user,
                     object_repr=f"{user.email} ({_('two-factor code')})")
    return render(request, "core/mfa_login_code.html", {
        "form": form, "next": next_url if pending is None else "",
        "step_up": pending is None,
    })


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = PasswordSetForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


@login_required
def dashboard(request):
    from mitmachen.organisations.models import Organisation

    # One card per organisation where the user holds a role directly.
    organisation_ids = {a.organisation_id for a in request.user.role_assignments.all()}
    cards = []
    for organisation in Organisation.objects.filter(pk__in=organisation_ids):
        roles = permissions.roles_in(request.user, organisation)
        cards.append({
            "organisation": organisation,
            "roles": [Role(r).label for r in sorted(roles)],
            "items": attention_items(request.user, organisation, roles),
            "can": {
                "contacts": permissions.can(request.user, Perm.CONTACT_VIEW, organisation),
                "profile": permissions.can(request.user, Perm.ORGANISATION_CHANGE, organisation),
                "places": permissions.can(request.user, Perm.PLACE_CHANGE, organisation),
                "team": permissions.can(request.user, Perm.TEAM_VIEW, organisation),
                "audit": permissions.can(request.user, Perm.AUDIT_VIEW, organisation),
                "mentoring": permissions.can(request.user, Perm.MENTORING_MANAGE, organisation),
                "reports": permissions.can(request.user, Perm.REPORT_HANDLE, organisation),
            },
        })
    return render(request, "core/dashboard.html", {
        "cards": cards,
        "mfa_enrolled": mfa.is_enrolled(request.user),
        "mfa_required": mfa.is_required(request.user),
    })


@never_cache
@login_required
@sensitive_post_parameters("confirm-code", "remove-code")
def mfa_setup(request):
    """Set up, replace or remove the authenticator app of one's own account."""
    user = request.user
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    here = reverse("core:mfa_setup") + (f"?{urlencode({'next': next_url})}" if next_url else "")
    confirm_form = TotpCodeForm(prefix="confirm")
    remove_form = TotpCodeForm(prefix="remove")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "begin":
            if mfa.is_enrolled(user) and not mfa.session_verified(request):
                # Whoever replaces the app must show they hold the current one.
                messages.info(request, _("To set up a new app, first enter a code from your "
                                         "current one."))
                return redirect(f"{reverse('core:login_code')}?"
                                f"{urlencode({'next': here})}")
            mfa.totp_begin(user=user)
            return redirect(here)
        if action == "confirm":
            confirm_form = TotpCodeForm(request.POST, prefix="confirm")
            if confirm_form.is_valid():
                try:
                    mfa.totp_confirm(user=user, code=confirm_form.cleaned_data["code"])
                except ValidationError as exc:
                    add_to_form(confirm_form, exc)
                else:
                    mfa.mark_verified(request)
                    messages.success(request, _("Two-factor authentication is on. From now on "
                                                "you log in with your password and a code."))
                    return redirect(_safe_next(request, next_url) if next_url else here)
        elif action == "remove":
            remove_form = TotpCodeForm(request.POST, prefix="remove")
            if remove_form.is_valid():
                if mfa.totp_verify(user=user, code=remove_form.cleaned_data["code"]):
                    mfa.totp_remove(user=user, actor=user)
                    request.session.pop(mfa.SESSION_VERIFIED, None)
                    messages.success(request, _("Two-factor authentication has been removed."))
                    return redirect(here)
                remove_form.add_error("code", _code_error(user))
        else:
            return redirect(here)
        messages.error(request, _("Please correct the errors below. Nothing was saved."))
    device = mfa.device_of(user)
    setting_up = device is not None and bool(device.setup_secret)
    qr_svg = ""
    if setting_up:
        import segno

        qr_svg = segno.make(mfa.provisioning_uri(device), error="m").svg_inline(
            scale=4, light="#fff")
    return render(request, "core/mfa_setup.html", {
        "device": device,
        "enrolled": device is not None and device.confirmed_at is not None,
        "setting_up": setting_up,
        "qr_svg": qr_svg,
        "secret": mfa.grouped_secret(device) if setting_up else "",
        "confirm_form": confirm_form,
        "remove_form": remove_form,
        "required": mfa.is_required(user),
        "next": next_url,
    })


@login_required
@require_POST
def mfa_reset(request, slug, user_pk):
    """An administrator removes the app of a role holder who lost their phone."""
    organisation = staff_organisation(request, slug, Perm.ROLE_MANAGE)
    # Only for someone holding a role here: another organisation's people answer 404.
    assignment = (RoleAssignment.objects.select_related("user")
                  .filter(organisation=organisation, user_id=user_pk).first())
    if assignment is None:
        raise Http404
    try:
        mfa.totp_remove(user=assignment.user, actor=request.user, organisation=organisation)
    except ValidationError as exc:
        messages.error(request, text_of(exc))
    else:
        messages.success(request, _("Two-factor authentication of %(name)s has been removed. "
                                    "They can set it up again after logging in with their "
                                    "password.") % {"name": assignment.user})
    return redirect("core:team", slug=organisation.slug)


@login_required
def team(request, slug):
    organisation = staff_organisation(request, slug, Perm.TEAM_VIEW)
    may_manage = permissions.can(request.user, Perm.ROLE_MANAGE, organisation)
    form = RoleGrantForm(request.POST or None) if may_manage else None
    if request.method == "POST":
        if not may_manage:
            permissions.require(request, Perm.ROLE_MANAGE, organisation)
        if form.is_valid():
            try:
                with transaction.atomic():
                    user, created = services.account_for_role(
                        email=form.cleaned_data["email"], actor=request.user)
                    assignment = services.role_grant(
                        user=user, organisation=organisation, role=form.cleaned_data["role"],
                        include_descendants=form.cleaned_data["include_descendants"],
                        actor=request.user,
                    )
                    notify_role_granted(request=request, assignment=assignment, invite=created)
            except ValidationError as exc:
                add_to_form(form, exc)
            else:
                # The same answer whether or not the account existed: no probing for accounts.
                messages.success(request, _("The role has been granted and %(email)s has been "
                                            "notified by e-mail.") % {"email": user.email})
                return redirect("core:team", slug=organisation.slug)
        messages.error(request, _("Please correct the errors below. Nothing was saved."))
    assignments = RoleAssignment.objects.filter(organisation=organisation).select_related("user")
    audit_read(actor=request.user, organisation=organisation, what=_("team list"))
    from mitmachen.core.models import TotpDevice

    with_app = set(TotpDevice.objects.filter(
        user__in=[a.user_id for a in assignments], confirmed_at__isnull=False
    ).values_list("user_id", flat=True))
    return render(request, "core/team.html", {
        "organisation": organisation, "assignments": assignments, "form": form,
        "may_manage": may_manage, "with_app": with_app,
    })


@login_required
@require_POST
def role_revoke(request, slug, pk):
    organisation = staff_organisation(request, slug, Perm.ROLE_MANAGE)
    assignment = owned_or_404(RoleAssignment.objects.select_related("user"), organisation, pk=pk)
    services.role_revoke(assignment=assignment, actor=request.user)
    messages.success(request, _("The role has been revoked."))
    return redirect("core:team", slug=organisation.slug)


@login_required
def audit(request, slug):
    organisation = staff_organisation(request, slug, Perm.AUDIT_VIEW)
    form = AuditFilterForm(request.GET or None)
    # The reporting channel's rows (object types "reports.…") are the officers' alone: when
    # reports arrive and how cases move would tell the board about people who reported. The
    # officers read them on their own page (reports:log). Mentoring rows likewise belong to the
    # coordinator (mentoring:log): who applies to a women*'s programme is nobody else's business.
    entries = AuditEntry.objects.filter(organisation=organisation).exclude(
        object_type__startswith="reports.").exclude(
        object_type__startswith="mentoring.").select_related("actor")
    if form.is_valid():
        if form.cleaned_data["action"]:
            entries = entries.filter(action=form.cleaned_data["action"])
        if form.cleaned_data["q"]:
            text = form.cleaned_data["q"]
            entries = entries.filter(Q(actor_label__icontains=text) |
                                     Q(object_repr__icontains=text))
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    audit_read(actor=request.user, organisation=organisation, what=_("audit log"))
    return render(request, "core/audit.html",
                  {"organisation": organisation, "page": page, "form": form})


@login_required
def tokens(request):
    from mitmachen.organisations.models import Organisation

    organisations = Organisation.objects.filter(
        Q(pk__in=permissions.organisations_where(request.user, Perm.STAFF_DASHBOARD))
        | Q(contacts__user=request.user, contacts__erased_at__isnull=True)).distinct()
    form = TokenCreateForm(request.POST or None, organisations=organisations)
    plaintext = None
    if request.method == "POST":
        if form.is_valid():
            try:
                _token, plaintext = services.token_create(
                    user=request.user, organisation=form.cleaned_data["organisation"],
                    name=form.cleaned_data["name"], actor=request.user)
            except ValidationError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, _("The token has been created. Copy it now: it "
                                            "will not be shown again."))
                form = TokenCreateForm(organisations=organisations)
        if plaintext is None:
            messages.error(request, _("Please correct the errors below. Nothing was saved."))
    return render(request, "core/tokens.html", {
        "form": form, "plaintext": plaintext,
        "tokens": request.user.api_tokens.select_related("organisation"),
    })


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.token_revoke(token=token, actor=request.user)
    messages.success(request, _("The token has been revoked."))
    return redirect("core:tokens")


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_500(request):
    # No context processors: the database may be what failed.
    return HttpResponseServerError(loader.render_to_string("500.html"))
