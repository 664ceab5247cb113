from functools import wraps

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


class PosAdminSite(admin.AdminSite):
    """Django admin behind the app's own sign-in page and role rules."""

    site_header = "POS administration"
    site_title = "POS admin"
    index_title = "Records"
    # Unknown admin URLs are plain 404s rather than a catch-all view.
    final_catch_all_view = False

    def has_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def guarded(request, *args, **kwargs):
            # Anonymous visitors go to the app's one sign-in page; signed-in staff
            # without admin rights get a plain 403, not the admin's sign-in form.
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not self.has_permission(request):
                raise PermissionDenied
            return inner(request, *args, **kwargs)

        return guarded

    def login(self, request, extra_context=None):
        next_url = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts=None):
            next_url = reverse("admin:index", current_app=self.name)
        if not request.user.is_authenticated:
            # One sign-in page for the whole app, with its lockout rules.
            return redirect_to_login(next_url)
        if not self.has_permission(request):
            raise PermissionDenied
        return redirect(next_url)
