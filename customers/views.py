import copy

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from accounts.access import (
    ADD_CUSTOMERS,
    CHANGE_CUSTOMERS,
    VIEW_CUSTOMERS,
    PermRequiredMixin,
    perm_required,
)
from accounts.views import run_service

from . import services
from .filters import CustomerFilter
from .forms import CustomerForm
from .models import Customer
from .panels import panels_for
from .tables import CustomerTable

SEARCH_MIN_LENGTH = 2
SEARCH_LIMIT = 10


def get_customer(pk):
    """Any customer, active or not: every member of staff may see them all."""
    return get_object_or_404(Customer, pk=pk)


class CustomerListView(PermRequiredMixin, SingleTableMixin, FilterView):
    permission_required = VIEW_CUSTOMERS
    model = Customer
    table_class = CustomerTable
    filterset_class = CustomerFilter
    template_name = "customers/customer_list.html"
    table_pagination = {"per_page": 50}


@perm_required(VIEW_CUSTOMERS)
def customer_detail(request, pk):
    customer = get_customer(pk)
    panels = [
        {"title": panel.title, "url": reverse(panel.url_name, args=[customer.pk])}
        for panel in panels_for(request.user)
    ]
    return render(
        request,
        "customers/customer_detail.html",
        {"customer": customer, "panels": panels},
    )


@perm_required(ADD_CUSTOMERS)
def customer_create(request):
    form = CustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        customer = run_service(
            form,
            services.create_customer,
            by=request.user,
            **form.customer_fields(),
        )
        if customer:
            messages.success(request, f"{customer} has been added.")
            return redirect(customer)
    return render(request, "customers/customer_form.html", {"form": form})


@perm_required(CHANGE_CUSTOMERS)
def customer_update(request, pk):
    customer = get_customer(pk)
    # The form writes what was typed onto its instance; a copy keeps the page's
    # heading and links on the saved customer while the form shows errors.
    form = CustomerForm(request.POST or None, instance=copy.copy(customer))
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            services.update_customer,
            customer,
            by=request.user,
            **form.customer_fields(),
        )
        if saved:
            messages.success(request, f"{saved} has been saved.")
            return redirect(saved)
    return render(
        request, "customers/customer_form.html", {"form": form, "customer": customer}
    )


@require_POST
@perm_required(CHANGE_CUSTOMERS)
def customer_set_active(request, pk, active):
    customer = services.set_customer_active(
        get_customer(pk), by=request.user, active=active
    )
    state = "is active again" if active else "has been deactivated"
    messages.success(request, f"{customer} {state}.")
    return redirect(customer)


@require_GET
@perm_required(VIEW_CUSTOMERS)
def customer_search(request):
    """Active customers matching ?q= as buttons to pick, for the customer picker."""
    query = request.GET.get("q", "").strip()
    searched = len(query) >= SEARCH_MIN_LENGTH
    customers = (
        Customer.objects.active().search(query)[:SEARCH_LIMIT] if searched else []
    )
    return render(
        request,
        "customers/includes/search_results.html",
        {"customers": customers, "query": query, "searched": searched},
    )
