from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST
from django.views.generic import ListView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from . import services
from .access import (
    CHANGE_SHOP_SETTINGS,
    MANAGE_API_TOKENS,
    MANAGE_STAFF,
    PermRequiredMixin,
    can_manage_role,
    perm_required,
    staff_required,
)
from .filters import StaffFilter
from .forms import (
    AccountForm,
    ApiTokenForm,
    ShopSettingsForm,
    StaffCreateForm,
    StaffPasswordForm,
    StaffUpdateForm,
)
from .models import ApiToken, Notification, ShopSettings, User
from .tables import ApiTokenTable, StaffTable


def run_service(form, service, *args, **kwargs):
    """Call `service`; show a refusal on the form instead of raising it."""
    try:
        return service(*args, **kwargs)
    except ValidationError as exc:
        form.add_error(None, exc)
        return None


def get_staff_for_change(actor, pk):
    """The member of staff `actor` may change, or 403 (404 if there is none)."""
    user = get_object_or_404(User, pk=pk)
    if not can_manage_role(actor, user.role):
        raise PermissionDenied
    return user


# Sign-in and the signed-in user's own account.


class SignInView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


def locked_out(request, original_response=None, credentials=None):
    """What a locked-out sign-in sees (django-axes AXES_LOCKOUT_CALLABLE)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    form = SignInView.form_class(request, data=request.POST or None)
    form.errors.clear()
    form.add_error(
        None,
        f"Too many failed sign-ins for this username from this device. "
        f"Try again in {minutes} minutes, or ask a manager to unlock it.",
    )
    return render(request, SignInView.template_name, {"form": form}, status=429)


class PasswordChangeView(auth_views.PasswordChangeView):
    success_url = reverse_lazy("accounts:account")

    def form_valid(self, form):
        form.user._change_reason = "Changed their own password"
        messages.success(self.request, "Your password has been changed.")
        return super().form_valid(form)


@staff_required
def account(request):
    form = AccountForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.instance._history_user = request.user
        form.save()
        messages.success(request, "Your details have been saved.")
        return redirect("accounts:account")
    return account_page(request, form=form)


def account_page(request, *, form=None, token_form=None):
    return render(
        request,
        "accounts/account.html",
        {
            "form": form or AccountForm(instance=request.user),
            "token_form": token_form or ApiTokenForm(),
            "tokens": request.user.api_tokens.select_related("revoked_by"),
        },
    )


# API tokens: staff manage their own; Super Admins see and revoke everyone's.


def get_api_token(actor, pk):
    """A token `actor` may act on: their own, or anyone's for a Super Admin."""
    tokens = ApiToken.objects.all()
    if not actor.has_perm(MANAGE_API_TOKENS):
        tokens = tokens.filter(user=actor)
    return get_object_or_404(tokens, pk=pk)


@require_POST
@staff_required
def token_create(request):
    """Create a token and show its key, this once: only its hash is kept.

    The key is in this response only (never in the session or a redirect), and
    the page is not cached.
    """
    form = ApiTokenForm(request.POST)
    created = form.is_valid() and run_service(
        form,
        services.create_api_token,
        request.user,
        by=request.user,
        name=form.cleaned_data["name"],
        expires_at=form.expires_at(),
    )
    if not created:
        return account_page(request, token_form=form)
    token, key = created
    response = render(
        request, "accounts/token_created.html", {"token": token, "key": key}
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@staff_required
def token_revoke(request, pk):
    token = get_api_token(request.user, pk)
    try:
        services.revoke_api_token(token, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"The API token “{token.name}” has been revoked.")
    if token.user_id == request.user.pk:
        return redirect("accounts:account")
    return redirect("accounts:token_list")


class ApiTokenListView(PermRequiredMixin, SingleTableMixin, ListView):
    permission_required = MANAGE_API_TOKENS
    table_class = ApiTokenTable
    template_name = "accounts/apitoken_list.html"
    table_pagination = {"per_page": 50}

    def get_queryset(self):
        return ApiToken.objects.select_related("user", "revoked_by")


# Staff management: Admins manage role User, Super Admins everyone.


class StaffListView(PermRequiredMixin, SingleTableMixin, FilterView):
    permission_required = MANAGE_STAFF
    model = User
    table_class = StaffTable
    filterset_class = StaffFilter
    template_name = "accounts/user_list.html"
    table_pagination = {"per_page": 25}


@perm_required(MANAGE_STAFF)
def staff_detail(request, pk):
    member = get_object_or_404(User, pk=pk)
    records = list(
        member.history.select_related("history_user").order_by("-history_id")[:21]
    )
    return render(
        request,
        "accounts/user_detail.html",
        {
            "member": member,
            "history": describe_changes(records)[:20],
            "can_change": can_manage_role(request.user, member.role),
        },
    )


def describe_changes(records):
    """[(record, labels of the fields it changed)] for history rows, newest first.

    Compares each row with the next older one in memory, so a page of history
    costs one query.
    """
    labels = {f.name: f.verbose_name for f in User._meta.fields}
    described = []
    for newer, older in zip(records, records[1:] + [None], strict=True):
        changed = []
        if older is not None and newer.history_type == "~":
            delta = newer.diff_against(older)
            changed = [labels.get(name, name) for name in delta.changed_fields]
        described.append((newer, changed))
    return described


@perm_required(MANAGE_STAFF)
def staff_create(request):
    form = StaffCreateForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        member = run_service(
            form,
            services.create_staff,
            by=request.user,
            username=data["username"],
            password=data["password1"],
            role=data["role"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
        )
        if member:
            messages.success(request, f"{member} can now sign in as {member.username}.")
            return redirect(member)
    return render(request, "accounts/user_form.html", {"form": form})


@perm_required(MANAGE_STAFF)
def staff_update(request, pk):
    member = get_staff_for_change(request.user, pk)
    form = StaffUpdateForm(request.POST or None, instance=member, actor=request.user)
    if request.method == "POST" and form.is_valid():
        updated = run_service(
            form, services.update_staff, member, by=request.user, **form.cleaned_data
        )
        if updated:
            messages.success(request, f"{updated} has been saved.")
            return redirect(updated)
    return render(request, "accounts/user_form.html", {"form": form, "member": member})


@perm_required(MANAGE_STAFF)
def staff_password(request, pk):
    member = get_staff_for_change(request.user, pk)
    form = StaffPasswordForm(member, request.POST or None)
    if request.method == "POST" and form.is_valid():
        password = form.cleaned_data["new_password1"]
        if run_service(
            form,
            services.set_staff_password,
            member,
            by=request.user,
            password=password,
        ):
            if member == request.user:
                update_session_auth_hash(request, member)
            messages.success(request, f"{member} has a new password.")
            return redirect(member)
    return render(
        request, "accounts/user_password.html", {"form": form, "member": member}
    )


@require_POST
@perm_required(MANAGE_STAFF)
def staff_set_active(request, pk, active):
    member = get_staff_for_change(request.user, pk)
    try:
        services.set_staff_active(member, by=request.user, active=active)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        state = "can sign in again" if active else "can no longer sign in"
        messages.success(request, f"{member} {state}.")
    return redirect(member)


# Shop settings.


@perm_required(CHANGE_SHOP_SETTINGS)
def shop_settings(request):
    shop = ShopSettings.load()
    form = ShopSettingsForm(request.POST or None, request.FILES or None, instance=shop)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        saved = run_service(
            form,
            services.update_shop_settings,
            by=request.user,
            logo=data.pop("logo_upload"),
            remove_logo=data.pop("remove_logo"),
            **data,
        )
        if saved:
            messages.success(request, "The shop settings have been saved.")
            return redirect("accounts:shop_settings")
    return render(
        request, "accounts/shopsettings_form.html", {"form": form, "shop": shop}
    )


@login_not_required
@cache_control(public=True, max_age=365 * 24 * 3600, immutable=True)
def shop_logo(request, version):
    """The shop's logo; public because it heads receipts and the sign-in page."""
    shop = ShopSettings.objects.only("logo", "logo_content_type").first()
    if shop is None or not shop.logo_content_type:
        raise Http404("The shop has no logo.")
    return HttpResponse(bytes(shop.logo), content_type=shop.logo_content_type)


# Notifications.


@staff_required
def notification_list(request):
    notifications = Notification.objects.filter(recipient=request.user)[:100]
    return render(
        request, "accounts/notification_list.html", {"notifications": notifications}
    )


@require_POST
@staff_required
def notification_open(request, pk):
    """Mark one notification read and go to what it is about."""
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    services.mark_notifications_read(request.user, ids=[notification.pk])
    if notification.url and url_has_allowed_host_and_scheme(notification.url, None):
        return redirect(notification.url)
    return redirect("accounts:notification_list")


@require_POST
@staff_required
def notifications_read_all(request):
    count = services.mark_notifications_read(request.user)
    messages.success(request, f"{count} notification{pluralize(count)} marked read.")
    return redirect("accounts:notification_list")
