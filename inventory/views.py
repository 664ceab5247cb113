from django.contrib import messages
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST
from django.views.generic import CreateView, ListView, UpdateView
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin

from accounts.access import (
    ADD_PRODUCTS,
    CHANGE_PRODUCTS,
    DELETE_PRODUCTS,
    EXPORT_PRODUCTS,
    IMPORT_PRODUCTS,
    MANAGE_STOCK,
    VIEW_COSTS,
    VIEW_PRODUCTS,
    PermRequiredMixin,
    perm_required,
)
from accounts.views import run_service

from . import imports, labels, services
from .exports import product_workbook_response
from .filters import ProductFilter
from .forms import (
    AdjustForm,
    CategoryForm,
    CountSheetForm,
    LabelForm,
    ProductForm,
    ProductImportForm,
    ReceiveForm,
    ReceiveLineFormSet,
    SupplierForm,
)
from .models import (
    Category,
    GoodsReceipt,
    Product,
    ProductImport,
    StockCount,
    StockMove,
    Supplier,
)
from .tables import ProductTable, StockMoveTable

COST_COLUMNS = ("cost_price", "stock_value")


def get_product(pk):
    return get_object_or_404(Product.objects.for_lists().with_stock_value(), pk=pk)


class ProductListView(PermRequiredMixin, SingleTableMixin, FilterView):
    permission_required = VIEW_PRODUCTS
    model = Product
    table_class = ProductTable
    filterset_class = ProductFilter
    template_name = "inventory/product_list.html"
    table_pagination = {"per_page": 50}

    def get_queryset(self):
        return Product.objects.for_lists().with_stock_value()

    def get_table_kwargs(self):
        # Costs and stock values are for managers only.
        hidden = () if self.request.user.has_perm(VIEW_COSTS) else COST_COLUMNS
        return {"exclude": hidden}


@perm_required(EXPORT_PRODUCTS)
def product_export(request):
    """The filtered product list as an Excel workbook (the import's columns)."""
    products = ProductFilter(request.GET, queryset=Product.objects.for_lists()).qs
    return product_workbook_response(products)


@perm_required(VIEW_PRODUCTS)
def product_detail(request, pk):
    product = get_product(pk)
    moves = StockMoveTable(
        StockMove.objects.filter(product=product).select_related("user"),
        prefix="moves-",
    )
    RequestConfig(request, paginate={"per_page": 20}).configure(moves)
    return render(
        request,
        "inventory/product_detail.html",
        {
            "product": product,
            "moves": moves,
            "adjust_form": AdjustForm(),
            "show_costs": request.user.has_perm(VIEW_COSTS),
            "can_delete": request.user.has_perm(DELETE_PRODUCTS)
            and not moves.paginator.count,
        },
    )


@perm_required(ADD_PRODUCTS)
def product_create(request):
    form = ProductForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        product = run_service(
            form,
            services.create_product,
            by=request.user,
            opening_stock=data.pop("opening_stock") or 0,
            **data,
        )
        if product:
            messages.success(request, f"{product} has been added.")
            return redirect(product)
    return render(request, "inventory/product_form.html", {"form": form})


@perm_required(CHANGE_PRODUCTS)
def product_update(request, pk):
    product = get_product(pk)
    form = ProductForm(request.POST or None, request.FILES or None, instance=product)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            services.update_product,
            product,
            by=request.user,
            **form.cleaned_data,
        )
        if saved:
            messages.success(request, f"{saved} has been saved.")
            return redirect(saved)
    return render(
        request, "inventory/product_form.html", {"form": form, "product": product}
    )


@require_POST
@perm_required(CHANGE_PRODUCTS)
def product_set_active(request, pk, active):
    product = services.set_product_active(
        get_product(pk), by=request.user, active=active
    )
    state = "is on sale again" if active else "is no longer on sale"
    messages.success(request, f"{product} {state}.")
    return redirect(product)


@require_POST
@perm_required(DELETE_PRODUCTS)
def product_delete(request, pk):
    product = get_product(pk)
    try:
        services.delete_product(product, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(product)
    messages.success(request, f"{product} has been deleted.")
    return redirect("inventory:product_list")


@perm_required(VIEW_PRODUCTS)
def product_search(request):
    """Products matching ?q= as <option>s for a datalist (SKU as the value)."""
    query = request.GET.get("q", "").strip()
    products = Product.objects.active().search(query)[:15] if len(query) >= 2 else []
    return render(
        request, "inventory/includes/product_options.html", {"products": products}
    )


@require_POST
@perm_required(MANAGE_STOCK)
def stock_adjust(request, pk):
    product = get_product(pk)
    form = AdjustForm(request.POST)
    if form.is_valid():
        try:
            services.adjust_stock(
                product,
                by=request.user,
                quantity=form.cleaned_data["quantity"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"The stock of {product} has been adjusted.")
    else:
        errors = [e for field in form.errors.values() for e in field]
        messages.error(request, "The stock was not adjusted: " + " ".join(errors))
    return redirect(product)


@perm_required(MANAGE_STOCK)
def stock_receive(request):
    form = ReceiveForm(request.POST or None, prefix="receipt")
    lines = ReceiveLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        receipt = run_service(
            form,
            services.receive_stock,
            [
                services.StockLine(line["product"], line["quantity"], line["unit_cost"])
                for line in lines.lines()
            ],
            by=request.user,
            **form.cleaned_data,
        )
        if receipt:
            messages.success(request, f"{receipt} has been booked into stock.")
            return redirect(receipt)
    return render(
        request, "inventory/receive_form.html", {"form": form, "lines": lines}
    )


@perm_required(MANAGE_STOCK)
def receipt_detail(request, pk):
    receipt = get_object_or_404(
        GoodsReceipt.objects.select_related("supplier", "received_by"), pk=pk
    )
    moves = StockMove.objects.for_document(receipt).select_related("product")
    return render(
        request, "inventory/receipt_detail.html", {"receipt": receipt, "moves": moves}
    )


@perm_required(MANAGE_STOCK)
def stock_count(request):
    """A count sheet for a category (or everything tracked); blanks are skipped."""
    category = request.GET.get("category", "")
    category = category if category.isdigit() else ""
    products = Product.objects.active().tracked().select_related("category")
    if category:
        products = products.filter(category_id=category)
    products = list(products.order_by("name")[:500])
    form = CountSheetForm(request.POST or None, products=products)
    if request.method == "POST" and form.is_valid():
        counted = run_service(
            form,
            services.count_stock,
            form.counts(),
            by=request.user,
            note=form.cleaned_data["note"],
        )
        if counted:
            messages.success(request, f"{counted} has been recorded.")
            return redirect(counted)
    return render(
        request,
        "inventory/count_form.html",
        {
            "form": form,
            "categories": Category.objects.all(),
            "category": category,
            "truncated": len(products) == 500,
        },
    )


@perm_required(MANAGE_STOCK)
def count_detail(request, pk):
    stock_count = get_object_or_404(
        StockCount.objects.select_related("counted_by"), pk=pk
    )
    return render(
        request,
        "inventory/count_detail.html",
        {
            "count": stock_count,
            "moves": StockMove.objects.for_document(stock_count).select_related(
                "product"
            ),
        },
    )


@perm_required(MANAGE_STOCK)
def low_stock(request):
    products = (
        Product.objects.active().low_stock().for_lists().order_by("on_hand", "name")
    )
    table = ProductTable(products.with_stock_value(), exclude=("stock_value",))
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return render(request, "inventory/low_stock.html", {"table": table})


# Categories and suppliers: plain lists and forms for managers.


class CategoryListView(PermRequiredMixin, ListView):
    permission_required = "inventory.change_category"
    queryset = Category.objects.annotate(product_count=Count("products"))


class CategoryCreateView(PermRequiredMixin, SuccessMessageMixin, CreateView):
    permission_required = "inventory.add_category"
    model = Category
    form_class = CategoryForm
    success_url = reverse_lazy("inventory:category_list")
    success_message = "The category %(name)s has been added."


class CategoryUpdateView(PermRequiredMixin, SuccessMessageMixin, UpdateView):
    permission_required = "inventory.change_category"
    model = Category
    form_class = CategoryForm
    success_url = reverse_lazy("inventory:category_list")
    success_message = "The category %(name)s has been saved."


class SupplierListView(PermRequiredMixin, ListView):
    permission_required = "inventory.change_supplier"
    queryset = Supplier.objects.annotate(product_count=Count("products"))


class SupplierCreateView(PermRequiredMixin, SuccessMessageMixin, CreateView):
    permission_required = "inventory.add_supplier"
    model = Supplier
    form_class = SupplierForm
    success_url = reverse_lazy("inventory:supplier_list")
    success_message = "The supplier %(name)s has been added."


class SupplierUpdateView(PermRequiredMixin, SuccessMessageMixin, UpdateView):
    permission_required = "inventory.change_supplier"
    model = Supplier
    form_class = SupplierForm
    success_url = reverse_lazy("inventory:supplier_list")
    success_message = "The supplier %(name)s has been saved."


# Importing products and printing labels.


@perm_required(IMPORT_PRODUCTS)
def product_import(request):
    """Upload a CSV or Excel file; nothing is written until the preview is applied."""
    form = ProductImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = run_service(
            form, imports.check_product_file, form.cleaned_data["file"], by=request.user
        )
        if upload:
            return redirect(upload)
    return render(request, "inventory/import_form.html", {"form": form})


@perm_required(IMPORT_PRODUCTS)
def product_import_preview(request, pk):
    upload = get_object_or_404(ProductImport, pk=pk)
    if request.method == "POST":
        try:
            created, updated = imports.apply_product_import(upload, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, f"Import applied: {created} products added, {updated} updated."
            )
            return redirect("inventory:product_list")
    return render(
        request,
        "inventory/import_preview.html",
        {
            "upload": upload,
            "preview": imports.summarise(upload),
            "is_uploader": upload.created_by_id == request.user.pk,
        },
    )


@perm_required(VIEW_PRODUCTS)
def product_labels(request):
    """Barcode labels for the ticked products, as a PDF to print."""
    data = request.GET.copy()
    if "label_format" not in data:
        # Arriving from the product list with only the ticked products: the
        # options start at the form's defaults (an unticked box sends nothing).
        data.update(
            {
                "label_format": labels.LABEL_FORMATS[0][0],
                "copies": "1",
                "show_price": "on",
            }
        )
    form = LabelForm(data)
    items = form.items() if form.is_valid() else []
    if items:
        try:
            labels.check_label_count(items)
            if form.cleaned_data["print"]:
                pdf = labels.render_labels_pdf(
                    items,
                    label_format=form.cleaned_data["label_format"],
                    show_price=form.cleaned_data["show_price"],
                )
                response = HttpResponse(pdf, content_type="application/pdf")
                response["Content-Disposition"] = 'inline; filename="labels.pdf"'
                return response
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(
        request,
        "inventory/label_form.html",
        {
            "form": form,
            "items": items,
            "label_count": sum(copies for _product, copies in items),
        },
    )
