"""Demo data for customers: walk-ins, regulars and a few business accounts."""

import random
from decimal import Decimal

from simple_history.utils import bulk_create_with_history

from accounts.models import Role, User

from .models import Customer, phone_digits

FIRST_NAMES = [
    "Aaliyah", "Adam", "Aisha", "Alejandro", "Amara", "Amelia", "Andrei", "Ana",
    "Arjun", "Ava", "Ben", "Bianca", "Carlos", "Charlotte", "Chen", "Chloe",
    "Daniel", "Deepa", "Diego", "Dmitri", "Elena", "Eli", "Emily", "Emeka",
    "Fatima", "Felix", "Freya", "Gabriel", "Grace", "Hana", "Hassan", "Isabel",
    "Ivan", "Jack", "Jamal", "James", "Jasmine", "Javier", "Jin", "Julia",
    "Kai", "Kavya", "Kenji", "Laila", "Leo", "Liam", "Lucia", "Luis", "Maya",
    "Mei", "Mia", "Mohammed", "Nadia", "Naomi", "Nikhil", "Noah", "Olga",
    "Omar", "Oscar", "Priya", "Rafael", "Rosa", "Ruth", "Sam", "Sara",
    "Sofia", "Tariq", "Thomas", "Uma", "Victor", "Wei", "Yara", "Yusuf", "Zoe",
]  # fmt: skip
LAST_NAMES = [
    "Abbott", "Adeyemi", "Ahmed", "Alvarez", "Andersen", "Baker", "Banerjee",
    "Becker", "Brown", "Campbell", "Chen", "Costa", "Cruz", "Davies", "Diaz",
    "Dubois", "Edwards", "Evans", "Fernandes", "Fischer", "Garcia", "Gonzalez",
    "Green", "Gupta", "Hall", "Hansen", "Hughes", "Ibrahim", "Ito", "Jackson",
    "Johnson", "Kaur", "Khan", "Kim", "Kowalski", "Lee", "Lopez", "Martin",
    "Mendes", "Miller", "Morales", "Murphy", "Nakamura", "Nguyen", "Novak",
    "Okafor", "Olsen", "Owusu", "Park", "Patel", "Petrov", "Reyes", "Rossi",
    "Santos", "Schmidt", "Silva", "Singh", "Smith", "Sullivan", "Tanaka",
    "Taylor", "Thompson", "Walker", "Wang", "Williams", "Wilson", "Wright",
    "Yilmaz", "Young", "Zhang",
]  # fmt: skip
STREETS = [
    "Market Street", "Elm Avenue", "Oak Lane", "Station Road", "High Street",
    "Maple Drive", "Church Road", "Mill Lane", "Park Avenue", "River View",
    "Victoria Road", "Cedar Close", "Hillside Crescent", "Kings Way",
]  # fmt: skip
EMAIL_DOMAINS = ["example.com", "example.net", "example.org", "mail.example"]
BUSINESSES = [
    "Springfield Dental Practice",
    "Northside Veterinary Clinic",
    "Harper & Cole Solicitors",
    "Blue Door Café",
    "Riverside Primary School",
    "Greenleaf Property Management",
    "Atlas Couriers",
    "Sunrise Care Home",
    "Kestrel Accountancy",
    "Main Street Pharmacy",
    "Oakwood Estate Agents",
    "Bright Sparks Electrical",
    "Taxi Central",
    "The Corner Bakery",
    "Metro Fitness Studio",
    "Pinewood Hotel",
]
BUSINESS_NOTES = [
    "Invoice monthly; quote the PO number from the office manager.",
    "Accounts contact: finance office. Pays by bank transfer within 30 days.",
    "Fleet of 12 work phones; staff may drop devices off on the account.",
    "Call before collecting: the office closes at 4pm.",
    "",
]
PERSONAL_NOTES = [
    "Prefers a text message when the repair is ready.",
    "Has a cracked-screen history: offer a tempered glass.",
    "Hard of hearing: email rather than call.",
    "Brings in devices for the whole family.",
    "Asked for original parts only.",
    "Usually pays by card; once paid a deposit in cash.",
    "Student: mention the student discount.",
    "Speaks Spanish; her son translates on the phone.",
]
DEACTIVATED_NOTES = [
    "Moved out of the area.",
    "Asked us to stop contacting them.",
    "Duplicate record; the newer one is kept.",
]


def add_arguments(parser):
    parser.add_argument(
        "--customers",
        type=int,
        default=300,
        help="How many customers to add (default 300).",
    )


def _phone(rng, number):
    """A fictional 555 number, typed the way different people type numbers."""
    local = f"{number:04d}"
    exchange = rng.choice(["013", "201", "382", "467", "590", "724"])
    return rng.choice(
        [
            f"+1 555 {exchange} {local}",
            f"(555) {exchange}-{local}",
            f"555-{exchange}-{local}",
            f"555.{exchange}.{local}",
            f"+1555{exchange}{local}",
        ]
    )


def _address(rng):
    return f"{rng.randint(1, 240)} {rng.choice(STREETS)}\nSpringfield"


def _person(rng, n):
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    has_email = rng.random() < 0.6
    email = ""
    if has_email:
        local = rng.choice([f"{first}.{last}", f"{first[0]}{last}", f"{first}{n}"])
        email = f"{local.lower()}@{rng.choice(EMAIL_DOMAINS)}"
    return Customer(
        name=f"{first} {last}",
        phone=_phone(rng, 1000 + n),
        email=email,
        address=_address(rng) if rng.random() < 0.45 else "",
        notes=rng.choice(PERSONAL_NOTES) if rng.random() < 0.12 else "",
        marketing_consent=has_email and rng.random() < 0.5,
    )


def _business(rng, n, name):
    slug = "".join(c for c in name.lower() if c.isalnum())[:16]
    return Customer(
        name=name,
        phone=_phone(rng, 1000 + n),
        email=f"accounts@{slug}.example",
        address=_address(rng),
        tax_id=f"TX-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
        credit_limit=Decimal(rng.choice(["500.00", "1000.00", "2500.00", "5000.00"])),
        notes=rng.choice(BUSINESS_NOTES),
        marketing_consent=rng.random() < 0.3,
    )


def load(options, out):
    if Customer.objects.exists():
        out("Customers exist; customer demo data not loaded.")
        return
    rng = random.Random(2026)
    wanted = options.get("customers") or 300
    businesses = BUSINESSES[: max(1, wanted // 20)]
    customers = [_business(rng, n, name) for n, name in enumerate(businesses)]
    customers += [_person(rng, n) for n in range(len(customers), wanted)]
    customers = customers[:wanted]
    rng.shuffle(customers)
    # A couple share a household phone, so the duplicate warning has real cases.
    if len(customers) > 6:
        for household in customers[5:7]:
            household.phone = customers[4].phone
    for customer in rng.sample(customers, k=max(1, wanted // 50)):
        customer.active = False
        customer.notes = rng.choice(DEACTIVATED_NOTES)
    for customer in customers:
        customer.phone_digits = phone_digits(customer.phone)
    owner = User.objects.filter(role=Role.SUPER_ADMIN).order_by("pk").first()
    # With history, so each customer's audit trail starts at their creation.
    bulk_create_with_history(customers, Customer, default_user=owner)
    out(f"Customers: {len(customers)} created.")
