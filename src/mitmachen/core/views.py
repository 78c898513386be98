from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponseServerError
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mitmachen.core import permissions, services
from mitmachen.core.audit import audit_read
from mitmachen.core.dashboard import attention_items
from mitmachen.core.errors import add_to_form
from mitmachen.core.forms import (
    AuditFilterForm,
    LoginForm,
    PasswordSetForm,
    RoleGrantForm,
    TokenCreateForm,
)
from mitmachen.core.models import ApiToken, AuditEntry, RoleAssignment
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
            },
        })
    return render(request, "core/dashboard.html", {"cards": cards})


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
    return render(request, "core/team.html", {
        "organisation": organisation, "assignments": assignments, "form": form,
        "may_manage": may_manage,
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
    entries = AuditEntry.objects.filter(organisation=organisation).select_related("actor")
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
