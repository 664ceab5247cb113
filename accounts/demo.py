"""Demo data for accounts: the shop's details and one login per role."""

from .models import Role, ShopSettings, User

DEMO_LOGINS = [
    ("owner", "Olivia", "Owens", Role.SUPER_ADMIN),
    ("manager", "Marcus", "Reid", Role.ADMIN),
    ("cashier", "Chloe", "Adams", Role.USER),
    ("technician", "Tomas", "Novak", Role.USER),
]


def add_arguments(parser):
    parser.add_argument(
        "--password",
        help="Password of the demo logins (default: $DEMO_PASSWORD or demo-pass-2026).",
    )


def load(options, out):
    shop = ShopSettings.load()
    if shop.name == ShopSettings._meta.get_field("name").default:
        shop.name = "FixIt Phone & PC Repair"
        shop.address = "12 Market Street\nSpringfield"
        shop.phone = "+1 555 0134"
        shop.email = "hello@fixit.example"
        shop.tax_id = "TX-4821-0093"
        shop.receipt_header = "Phones · Computers · Repairs"
        shop.receipt_footer = (
            "Repairs carry a 90-day warranty. Thank you for your custom!"
        )
        shop.save()
        out("Shop details set.")

    created = []
    for username, first, last, role in DEMO_LOGINS:
        if not User.objects.filter(username=username).exists():
            created.append(
                User.objects.create_user(
                    username,
                    f"{username}@fixit.example",
                    options["password"],
                    first_name=first,
                    last_name=last,
                    role=role,
                )
            )
    out(f"Demo logins: {len(created)} created.")
    return [(u.username, u.get_role_display()) for u in created]
