"""A synthetic but realistic repair history, for demo data and benchmarks.

A shop that repairs phones, tablets, laptops, desktops, consoles and watches
sees popular models often and rare ones seldom, and most jobs are screens and
batteries. The front desk types the problem the way the customer said it, with
abbreviations and typos, and sometimes spells the model loosely ("iphone12").
A job's price is the parts it used at their shop price plus labour; parts for
a newer or premium model cost more and take a little longer to fit, labour
varies from job to job and drifts up a few percent a year, and technicians
round totals to the nearest 5. Some jobs
turn out to need no part (a charging port that only needed cleaning).

Nothing here touches Django: `generate` returns plain dataclasses, and is
deterministic for a given `random.Random` seed.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from pos_project.money import CENT


@dataclass(frozen=True)
class Device:
    brand: str
    model: str
    tier: float  # price level of the model's parts; 1.0 is a mid-range flagship
    weight: float = 1.0  # how often the model comes in, relative to the others


@dataclass(frozen=True)
class Part:
    pattern: str  # "{model} battery", or a fixed name such as "Thermal paste 4g"
    cost: str  # for a tier 1.0 model (fixed names are not scaled)
    price: str
    quantity: tuple[int, int] = (1, 1)


@dataclass(frozen=True)
class RepairKind:
    category: str  # one of repairs.suggestions.CATEGORIES
    weight: float  # how common the kind is for its device type
    phrases: tuple[str, ...]  # how the front desk writes the problem down
    parts: tuple[Part, ...]
    labour: tuple[int, int]  # labour, tax included, for a tier 1.0 model
    minutes: tuple[int, int]  # bench time
    part_chance: float = 1.0  # share of jobs that need the parts at all
    one_part: bool = False  # use one of `parts` (a choice) instead of all of them
    brands: tuple[str, ...] = ()  # only for these brands (empty: every brand)


@dataclass(frozen=True)
class SyntheticRepair:
    device_type: str
    brand: str
    model: str  # as typed at the front desk
    problem: str
    category: str  # the true kind of the (first) repair
    labour: Decimal
    parts: tuple[tuple[str, int, Decimal], ...]  # (part name, quantity, unit price)
    price: Decimal  # labour + parts, tax included
    minutes: int
    finished: date


def _devices(brand, *models):
    return tuple(Device(brand, model, tier, weight) for model, tier, weight in models)


DEVICES: dict[str, tuple[Device, ...]] = {
    "phone": (
        *_devices(
            "Apple",
            ("iPhone 11", 0.75, 5),
            ("iPhone 11 Pro", 0.85, 2),
            ("iPhone 11 Pro Max", 0.9, 1.5),
            ("iPhone SE (2022)", 0.6, 2),
            ("iPhone 12 mini", 0.8, 1),
            ("iPhone 12", 0.85, 5),
            ("iPhone 12 Pro", 0.95, 3),
            ("iPhone 12 Pro Max", 1.0, 1.5),
            ("iPhone 13 mini", 0.9, 1),
            ("iPhone 13", 0.95, 6),
            ("iPhone 13 Pro", 1.1, 3),
            ("iPhone 13 Pro Max", 1.15, 2),
            ("iPhone 14", 1.05, 5),
            ("iPhone 14 Plus", 1.1, 1.5),
            ("iPhone 14 Pro", 1.3, 3),
            ("iPhone 14 Pro Max", 1.4, 2),
            ("iPhone 15", 1.2, 4),
            ("iPhone 15 Plus", 1.25, 1),
            ("iPhone 15 Pro", 1.5, 2.5),
            ("iPhone 15 Pro Max", 1.6, 2),
        ),
        *_devices(
            "Samsung",
            ("Galaxy S21", 0.9, 3),
            ("Galaxy S21 Ultra", 1.2, 1),
            ("Galaxy S22", 1.0, 3),
            ("Galaxy S22 Ultra", 1.3, 1),
            ("Galaxy S23", 1.05, 3),
            ("Galaxy S23 Ultra", 1.4, 1.5),
            ("Galaxy S24", 1.15, 2),
            ("Galaxy S24 Ultra", 1.55, 1.5),
            ("Galaxy A14", 0.45, 3),
            ("Galaxy A15", 0.45, 2),
            ("Galaxy A25", 0.5, 1.5),
            ("Galaxy A34", 0.55, 2.5),
            ("Galaxy A54", 0.6, 3),
            ("Galaxy A55", 0.65, 1.5),
            ("Galaxy Z Flip5", 1.6, 0.7),
        ),
        *_devices(
            "Google",
            ("Pixel 6", 0.75, 1.5),
            ("Pixel 6a", 0.6, 1.5),
            ("Pixel 7", 0.8, 2),
            ("Pixel 7 Pro", 1.0, 1),
            ("Pixel 7a", 0.65, 2),
            ("Pixel 8", 0.9, 1.5),
            ("Pixel 8 Pro", 1.15, 1),
        ),
        *_devices(
            "Xiaomi",
            ("Redmi Note 12", 0.4, 2),
            ("Redmi Note 13", 0.45, 1.5),
            ("Xiaomi 13", 0.8, 0.7),
            ("Xiaomi 13T", 0.7, 0.7),
            ("Poco X5", 0.4, 0.7),
        ),
        *_devices("OnePlus", ("OnePlus 11", 0.8, 0.6), ("Nord 3", 0.55, 0.5)),
        *_devices("Motorola", ("Moto G54", 0.4, 1), ("Edge 40", 0.6, 0.4)),
    ),
    "tablet": (
        *_devices(
            "Apple",
            ("iPad (9th generation)", 0.6, 4),
            ("iPad (10th generation)", 0.75, 3),
            ("iPad Air (5th generation)", 0.95, 2),
            ("iPad mini (6th generation)", 0.85, 1),
            ('iPad Pro 11" (4th generation)', 1.3, 1.5),
            ('iPad Pro 12.9" (6th generation)', 1.6, 1),
        ),
        *_devices(
            "Samsung",
            ("Galaxy Tab A8", 0.5, 2),
            ("Galaxy Tab A9+", 0.55, 1.5),
            ("Galaxy Tab S8", 1.0, 1),
            ("Galaxy Tab S9", 1.15, 1),
        ),
        *_devices("Lenovo", ("Tab P11", 0.5, 1)),
        *_devices("Microsoft", ("Surface Pro 9", 1.3, 0.8)),
    ),
    "laptop": (
        *_devices(
            "Apple",
            ("MacBook Air M1 13-inch", 1.0, 4),
            ("MacBook Air M2 13-inch", 1.15, 3),
            ("MacBook Air M3 15-inch", 1.3, 1),
            ("MacBook Pro 13-inch M1", 1.2, 2),
            ("MacBook Pro 14-inch M1 Pro", 1.5, 1.5),
            ("MacBook Pro 16-inch M1 Pro", 1.7, 1),
        ),
        *_devices(
            "Dell",
            ("XPS 13 9310", 0.95, 1.5),
            ("XPS 15 9520", 1.15, 1),
            ("Latitude 5420", 0.7, 2),
            ("Latitude 7430", 0.8, 1),
            ("Inspiron 15 3511", 0.5, 2),
        ),
        *_devices(
            "HP",
            ("EliteBook 840 G8", 0.8, 1.5),
            ("Pavilion 15", 0.5, 2),
            ("Envy x360 13", 0.7, 1),
            ("HP 250 G8", 0.4, 1.5),
        ),
        *_devices(
            "Lenovo",
            ("ThinkPad T14 Gen 2", 0.75, 2),
            ("ThinkPad X1 Carbon Gen 10", 1.05, 1),
            ("ThinkPad E14 Gen 4", 0.55, 1.5),
            ("IdeaPad 5 14", 0.5, 1.5),
        ),
        *_devices("Asus", ("ZenBook 14 UX425", 0.65, 1), ("VivoBook 15", 0.45, 1.5)),
        *_devices("Acer", ("Aspire 5 A515", 0.45, 1.5), ("Swift 3 SF314", 0.55, 1)),
    ),
    "desktop": (
        *_devices("Apple", ('iMac 24" M1', 1.3, 2), ("Mac mini M2", 0.9, 1)),
        *_devices("Dell", ("OptiPlex 7090", 0.7, 2), ("Inspiron 3020", 0.5, 1)),
        *_devices("HP", ("ProDesk 400 G7", 0.6, 1.5), ("Pavilion TP01", 0.5, 1)),
        *_devices("Lenovo", ("ThinkCentre M70q", 0.6, 1.5)),
        *_devices("Custom", ("Gaming PC", 1.0, 2)),
    ),
    "console": (
        *_devices(
            "Sony",
            ("PlayStation 5", 1.0, 4),
            ("PlayStation 5 Digital Edition", 1.0, 1.5),
            ("PlayStation 4 Pro", 0.75, 1.5),
            ("PlayStation 4", 0.7, 1.5),
        ),
        *_devices(
            "Microsoft",
            ("Xbox Series X", 1.0, 2.5),
            ("Xbox Series S", 0.8, 2),
            ("Xbox One", 0.7, 1),
        ),
        *_devices(
            "Nintendo",
            ("Switch", 0.8, 3),
            ("Switch OLED", 0.9, 3),
            ("Switch Lite", 0.7, 1.5),
        ),
        *_devices("Valve", ("Steam Deck", 0.9, 1)),
    ),
    "watch": (
        *_devices(
            "Apple",
            ("Watch Series 7", 0.9, 2),
            ("Watch Series 8", 1.0, 2),
            ("Watch Series 9", 1.05, 1.5),
            ("Watch SE (2nd generation)", 0.75, 1.5),
            ("Watch Ultra", 1.4, 1),
        ),
        *_devices("Samsung", ("Galaxy Watch5", 0.7, 1.5), ("Galaxy Watch6", 0.8, 1)),
        *_devices("Garmin", ("Forerunner 255", 0.6, 1)),
        *_devices("Fitbit", ("Versa 4", 0.5, 0.8)),
    ),
    "other": (
        *_devices("Apple", ("AirPods Pro", 0.6, 1.5)),
        *_devices("Amazon", ("Kindle Paperwhite", 0.5, 1)),
        *_devices("DJI", ("Mini 3", 1.0, 0.7)),
        *_devices("GoPro", ("HERO11 Black", 0.8, 0.7)),
        *_devices("Sony", ("WH-1000XM4", 0.6, 1)),
        *_devices("Nintendo", ("3DS XL", 0.5, 0.5)),
    ),
}

DEVICE_TYPE_WEIGHTS = {
    "phone": 55,
    "tablet": 9,
    "laptop": 16,
    "desktop": 5,
    "console": 8,
    "watch": 4,
    "other": 3,
}

SOFTWARE_PHRASES = (
    "stuck on logo",
    "boot loop",
    "keeps restarting",
    "forgot passcode needs reset",
    "transfer data to new phone",
    "update failed, stuck",
    "data recovery, wont boot",
    "very slow, freezes",
    "factory reset pls",
)

PHONE = (
    RepairKind(
        "screen",
        34,
        (
            "cracked screen",
            "screen cracked after drop",
            "cracked scrn",
            "smashed screen",
            "screen shattered",
            "display broken",
            "lcd broken, black lines",
            "touch not working",
            "green line on screen",
            "no display but vibrates",
            "dropped it, glass broken",
            "screen replacement",
            "scrn smashed",
            "ghost touch",
        ),
        (Part("{model} screen assembly", "85.00", "159.00"),),
        (35, 60),
        (30, 60),
    ),
    RepairKind(
        "housing",
        6,
        (
            "back glass cracked",
            "rear glass broken",
            "cracked back",
            "back cover smashed",
            "back panel shattered",
            "bent frame",
        ),
        (Part("{model} back glass", "22.00", "69.00"),),
        (45, 80),
        (45, 90),
    ),
    RepairKind(
        "battery",
        20,
        (
            "battery drains fast",
            "battery dies quickly",
            "batt health 74%",
            "battery swollen",
            "shuts off at 30%",
            "needs new battery",
            "wont hold charge",
            "battery replacement",
            "batery draining",
            "battery service message",
        ),
        (Part("{model} battery", "16.00", "49.00"),),
        (20, 40),
        (20, 40),
    ),
    RepairKind(
        "charging",
        11,
        (
            "wont charge",
            "won't charge",
            "not charging",
            "charging port loose",
            "charger has to be held at an angle",
            "charge port damaged",
            "only charges sometimes",
            "charing port not working",
            "cable falls out",
        ),
        (Part("{model} charging port flex", "7.00", "39.00"),),
        (30, 50),
        (25, 50),
        part_chance=0.7,
    ),
    RepairKind(
        "water",
        6,
        (
            "water damage",
            "dropped in water",
            "fell in the toilet",
            "liquid damage",
            "got wet, wont turn on",
            "wet, no power",
            "water dmg",
            "spilled coffee on it",
        ),
        (),
        (60, 110),
        (60, 150),
    ),
    RepairKind(
        "camera",
        6,
        (
            "rear camera blurry",
            "camera not focusing",
            "camera lens cracked",
            "black screen when opening camera",
            "back camera not working",
            "camera shaking",
            "cam glass broken",
        ),
        (Part("{model} rear camera", "30.00", "89.00"),),
        (30, 50),
        (25, 50),
    ),
    RepairKind(
        "audio",
        6,
        (
            "no sound on calls",
            "speaker crackling",
            "mic not working",
            "people cant hear me",
            "earpiece too quiet",
            "loudspeaker distorted",
            "no sound",
        ),
        (Part("{model} loudspeaker", "8.00", "35.00"),),
        (30, 45),
        (25, 45),
        part_chance=0.75,
    ),
    RepairKind(
        "buttons",
        4,
        (
            "power button stuck",
            "volume button not working",
            "side button broken",
            "pwr btn jammed",
            "volume buttons dont click",
        ),
        (Part("{model} power and volume flex", "9.00", "35.00"),),
        (30, 50),
        (30, 55),
    ),
    RepairKind("software", 7, SOFTWARE_PHRASES, (), (30, 60), (20, 60)),
)

TABLET = (
    RepairKind(
        "screen",
        45,
        (
            "cracked screen",
            "glass cracked",
            "digitizer cracked",
            "screen smashed",
            "touch not working",
            "lcd bleeding",
            "cracked scrn",
            "dropped, display broken",
        ),
        (Part("{model} screen assembly", "75.00", "149.00"),),
        (50, 80),
        (60, 120),
    ),
    RepairKind(
        "battery",
        18,
        (
            "battery drains fast",
            "battery swollen, screen lifting",
            "wont hold charge",
            "dies at 20%",
            "new battery",
        ),
        (Part("{model} battery", "28.00", "79.00"),),
        (45, 70),
        (60, 100),
    ),
    RepairKind(
        "charging",
        14,
        (
            "wont charge",
            "not charging",
            "charging port loose",
            "charge port damaged",
            "charges only at an angle",
        ),
        (Part("{model} charging port", "12.00", "45.00"),),
        (40, 60),
        (40, 75),
        part_chance=0.7,
    ),
    RepairKind(
        "water",
        5,
        ("water damage", "liquid spill", "got wet, no power"),
        (),
        (70, 120),
        (60, 150),
    ),
    RepairKind("software", 10, SOFTWARE_PHRASES, (), (30, 60), (20, 60)),
)

LAPTOP_SSD = (
    Part("SSD NVMe M.2 512GB", "34.00", "59.99"),
    Part("SSD NVMe M.2 1TB", "58.00", "94.99"),
    Part("SSD NVMe M.2 2TB", "112.00", "169.99"),
)
PC_BRANDS = ("Dell", "HP", "Lenovo", "Asus", "Acer", "Custom")

LAPTOP = (
    RepairKind(
        "screen",
        22,
        (
            "cracked screen",
            "screen broken",
            "lcd cracked",
            "lines on display",
            "display flickering",
            "no display, backlight on",
            "screen black, external monitor works",
            "cracked lcd after closing on pen",
        ),
        (Part("{model} LCD panel", "110.00", "219.00"),),
        (45, 80),
        (45, 90),
    ),
    RepairKind(
        "battery",
        16,
        (
            "battery drains fast",
            "battery not charging, service battery",
            "dies without charger",
            "battery swollen, trackpad lifted",
            "batt 0% not charging",
            "needs new battery",
        ),
        (Part("{model} battery", "45.00", "109.00"),),
        (30, 50),
        (30, 60),
    ),
    RepairKind(
        "keyboard",
        12,
        (
            "keys not working",
            "keyboard spill, sticky keys",
            "some keys dont type",
            "keyboard replacement",
            "missing keys",
            "space bar broken",
            "keybaord typing wrong letters",
        ),
        (Part("{model} keyboard", "35.00", "89.00"),),
        (50, 90),
        (60, 150),
    ),
    RepairKind(
        "storage",
        10,
        (
            "ssd upgrade",
            "upgrade to bigger ssd",
            "disk full, wants more storage",
            "hard drive failing, clone to ssd",
            "replace hdd with ssd",
            "ssd not detected",
        ),
        LAPTOP_SSD,
        (35, 55),
        (60, 120),
        one_part=True,
        brands=PC_BRANDS,
    ),
    RepairKind(
        "overheating",
        10,
        (
            "overheating",
            "fan loud",
            "fan noise, gets very hot",
            "shuts down when hot",
            "overheats when gaming",
            "fan grinding",
            "clean and repaste",
        ),
        (
            Part("{model} cooling fan", "14.00", "45.00"),
            Part("Thermal paste 4g", "2.40", "8.99"),
        ),
        (40, 65),
        (45, 90),
        part_chance=0.5,
    ),
    RepairKind(
        "charging",
        8,
        (
            "wont charge",
            "not charging",
            "charger port loose",
            "dc jack broken",
            "usb-c port not charging",
        ),
        (Part("{model} charging port board", "18.00", "55.00"),),
        (45, 75),
        (45, 90),
    ),
    RepairKind(
        "water",
        5,
        (
            "water spilled on keyboard",
            "liquid damage, wont turn on",
            "spilled coffee",
            "wine spill",
        ),
        (),
        (80, 150),
        (90, 180),
    ),
    RepairKind(
        "housing",
        6,
        ("hinge broken", "hinge loose", "lid cracked at hinge", "bezel broken"),
        (Part("{model} hinge set", "15.00", "49.00"),),
        (45, 75),
        (60, 120),
    ),
    RepairKind(
        "software",
        11,
        (
            "virus removal",
            "windows reinstall",
            "very slow",
            "wont boot, blue screen",
            "data recovery",
            "forgot password",
            "os reinstall and backup",
            "popups, malware",
        ),
        (),
        (45, 90),
        (60, 180),
    ),
)

DESKTOP = (
    RepairKind(
        "storage",
        18,
        (
            "ssd upgrade",
            "replace hdd with ssd",
            "hard drive clicking",
            "disk failing, clone",
            "more storage",
        ),
        LAPTOP_SSD,
        (35, 55),
        (60, 120),
        one_part=True,
        brands=PC_BRANDS,
    ),
    RepairKind(
        "overheating",
        14,
        ("fan loud", "overheating", "dust clean and repaste", "shuts off when hot"),
        (Part("Thermal paste 4g", "2.40", "8.99"),),
        (35, 60),
        (40, 80),
    ),
    RepairKind(
        "power",
        16,
        (
            "wont turn on",
            "no power",
            "psu dead",
            "turns off randomly",
            "power supply burnt smell",
        ),
        (Part("{model} power supply", "35.00", "89.00"),),
        (35, 60),
        (40, 80),
        part_chance=0.8,
    ),
    RepairKind(
        "software",
        32,
        (
            "virus removal",
            "windows reinstall",
            "very slow",
            "blue screen",
            "data recovery",
            "wont boot to windows",
            "popups, malware",
        ),
        (),
        (45, 90),
        (60, 180),
    ),
    RepairKind(
        "screen",
        8,
        ("cracked screen", "display lines", "screen black"),
        (Part("{model} display panel", "190.00", "349.00"),),
        (70, 110),
        (90, 150),
        brands=("Apple",),
    ),
)

CONSOLE = (
    RepairKind(
        "ports",
        22,
        (
            "hdmi port broken",
            "no signal on tv",
            "hdmi loose",
            "no picture, hdmi damaged",
            "hdmi port bent pins",
        ),
        (Part("{model} HDMI port", "6.00", "29.00"),),
        (70, 110),
        (60, 120),
        brands=("Sony", "Microsoft"),
    ),
    RepairKind(
        "overheating",
        20,
        (
            "overheating",
            "fan very loud",
            "shuts down, overheats",
            "loud fan, clean pls",
            "jet engine noise",
        ),
        (Part("Thermal paste 4g", "2.40", "8.99"),),
        (45, 75),
        (45, 90),
    ),
    RepairKind(
        "buttons",
        22,
        (
            "joy-con drift",
            "joycon drift",
            "left stick drifting",
            "controller stick drift",
            "analog stick drift",
            "joy con not responding",
        ),
        (Part("{model} analog stick", "3.00", "19.00", (1, 2)),),
        (25, 40),
        (20, 45),
    ),
    RepairKind(
        "storage",
        12,
        (
            "disc drive not reading",
            "wont read discs",
            "disc stuck",
            "game card not read",
            "wont read games",
        ),
        (Part("{model} disc drive", "25.00", "69.00"),),
        (40, 60),
        (45, 90),
        part_chance=0.7,
        brands=("Sony", "Microsoft"),
    ),
    RepairKind(
        "power",
        10,
        ("wont turn on", "no power", "blue light of death", "turns off after 5 min"),
        (Part("{model} power supply", "30.00", "79.00"),),
        (40, 65),
        (45, 90),
        part_chance=0.8,
    ),
    RepairKind(
        "screen",
        10,
        ("cracked screen", "screen scratched badly", "lcd broken", "dead pixels"),
        (Part("{model} screen", "30.00", "79.00"),),
        (40, 60),
        (45, 90),
        brands=("Nintendo", "Valve"),
    ),
    RepairKind(
        "charging",
        10,
        ("wont charge", "not charging on dock", "usb-c port loose", "charge port"),
        (Part("{model} USB-C port", "5.00", "29.00"),),
        (60, 90),
        (60, 120),
        brands=("Nintendo", "Valve"),
    ),
)

WATCH = (
    RepairKind(
        "screen",
        45,
        (
            "cracked screen",
            "glass cracked",
            "screen smashed",
            "touch not working",
            "display cracked",
        ),
        (Part("{model} screen", "75.00", "149.00"),),
        (40, 60),
        (45, 90),
    ),
    RepairKind(
        "battery",
        30,
        ("battery drains fast", "battery swollen", "dies by lunchtime", "new battery"),
        (Part("{model} battery", "14.00", "45.00"),),
        (35, 50),
        (40, 75),
    ),
    RepairKind(
        "buttons",
        12,
        ("crown stuck", "button not clicking", "side button broken"),
        (Part("{model} crown and button", "10.00", "39.00"),),
        (35, 50),
        (45, 75),
    ),
    RepairKind(
        "charging",
        13,
        ("wont charge", "not charging on puck", "charging contacts dirty"),
        (),
        (20, 35),
        (15, 30),
    ),
)

OTHER = (
    RepairKind(
        "battery",
        40,
        ("battery drains fast", "battery dead", "wont hold charge", "new battery"),
        (Part("{model} battery", "15.00", "45.00"),),
        (30, 50),
        (30, 60),
    ),
    RepairKind(
        "charging",
        25,
        ("wont charge", "not charging", "charging port loose"),
        (Part("{model} charging port", "6.00", "29.00"),),
        (35, 55),
        (30, 60),
        part_chance=0.6,
    ),
    RepairKind(
        "water",
        15,
        ("water damage", "got wet", "dropped in water"),
        (),
        (45, 80),
        (45, 120),
    ),
    RepairKind(
        "other",
        20,
        ("check it over", "not working", "diagnose fault", "intermittent fault"),
        (),
        (25, 45),
        (20, 60),
    ),
)

REPAIR_KINDS: dict[str, tuple[RepairKind, ...]] = {
    "phone": PHONE,
    "tablet": TABLET,
    "laptop": LAPTOP,
    "desktop": DESKTOP,
    "console": CONSOLE,
    "watch": WATCH,
    "other": OTHER,
}

PREFIXES = ("cust says ", "customer reports ", "pls check ", "cx: ", "")
SUFFIXES = (
    ", dropped yesterday",
    " - urgent",
    ", needs it back friday",
    ", has case on",
    ", backup first",
    "; 2nd time",
    ", under warranty?",
    " (quote first)",
)
DISCOUNT_SHARE = 0.06  # jobs with a goodwill discount
SECOND_KIND_SHARE = 0.06  # tickets that bring two problems at once
LABOUR_DRIFT = 0.04  # labour gets dearer each year


def part_names() -> list[tuple[str, Decimal, Decimal]]:
    """Every part `generate` can use: (name, cost price, sale price), sorted by name."""
    parts = {}
    for device_type, kinds in REPAIR_KINDS.items():
        for kind in kinds:
            for device in _devices_for(device_type, kind):
                for part in kind.parts:
                    name, cost, price = _priced(part, device)
                    parts[name] = (name, cost, price)
    return sorted(parts.values())


def generate(
    rng: random.Random, count: int, *, start: date, end: date
) -> list[SyntheticRepair]:
    """`count` finished repairs between `start` and `end`, oldest first."""
    open_days = [
        start + timedelta(days=n)
        for n in range((end - start).days + 1)
        if (start + timedelta(days=n)).weekday() != 6
    ]
    types = list(DEVICE_TYPE_WEIGHTS)
    type_weights = list(DEVICE_TYPE_WEIGHTS.values())
    repairs = []
    for _ in range(count):
        device_type = rng.choices(types, type_weights)[0]
        finished = rng.choice(open_days)
        years = (finished - start).days / 365.25
        repairs.append(_repair(rng, device_type, finished, years))
    repairs.sort(key=lambda repair: repair.finished)
    return repairs


def _repair(rng, device_type, finished, years):
    devices = DEVICES[device_type]
    device = rng.choices(devices, [d.weight for d in devices])[0]
    kinds = [k for k in REPAIR_KINDS[device_type] if _fits(k, device)]
    kind = rng.choices(kinds, [k.weight for k in kinds])[0]
    jobs = [kind]
    if len(kinds) > 1 and rng.random() < SECOND_KIND_SHARE:
        jobs.append(rng.choice([k for k in kinds if k is not kind]))
    labour = Decimal(0)
    parts = []
    minutes = 0
    for job in jobs:
        job_labour, job_parts, job_minutes = _job(rng, job, device, years)
        labour += job_labour
        parts += job_parts
        minutes += job_minutes
    parts_total = sum((price * quantity for _, quantity, price in parts), Decimal(0))
    total = _round_to_five(labour + parts_total)
    if rng.random() < DISCOUNT_SHARE:
        total = _round_to_five(total * Decimal(str(rng.uniform(0.8, 0.9))))
    total = max(total, parts_total)
    return SyntheticRepair(
        device_type=device_type,
        brand=_typed_brand(rng, device.brand),
        model=_typed_model(rng, device),
        problem=" + ".join(_phrase(rng, job) for job in jobs),
        category=kind.category,
        labour=total - parts_total,
        parts=tuple(parts),
        price=total,
        minutes=max(5, 5 * round(minutes / 5)),
        finished=finished,
    )


def _job(rng, kind, device, years):
    """Labour, parts and minutes of one repair kind on one device."""
    scale = device.tier**0.5 * (1 + LABOUR_DRIFT * years)
    labour = rng.uniform(*kind.labour) * scale * rng.uniform(0.9, 1.1)
    minutes = rng.uniform(*kind.minutes) * device.tier**0.3 * rng.uniform(0.85, 1.2)
    parts = []
    if kind.parts and rng.random() < kind.part_chance:
        chosen = (rng.choice(kind.parts),) if kind.one_part else kind.parts
        for part in chosen:
            name, _, price = _priced(part, device)
            parts.append((name, rng.randint(*part.quantity), price))
    elif kind.parts:  # only cleaned or adjusted: a shorter, cheaper job
        labour *= 0.6
        minutes *= 0.5
    return _cents(Decimal(str(labour))), parts, minutes


def _fits(kind, device):
    return not kind.brands or device.brand in kind.brands


def _devices_for(device_type, kind):
    return [device for device in DEVICES[device_type] if _fits(kind, device)]


def _priced(part, device):
    """(name, cost, sale price) of a part for a device; model parts scale by tier."""
    if "{model}" not in part.pattern:
        return part.pattern, Decimal(part.cost), Decimal(part.price)
    cost = Decimal(part.cost) * Decimal(str(device.tier))
    cost = (cost * 20).quantize(Decimal(1), ROUND_HALF_UP) / 20
    price = float(part.price) * device.tier
    price = max(9, round(price / 10) * 10 - 1)
    return part.pattern.format(model=device.model), _cents(cost), _cents(price)


def _phrase(rng, kind):
    phrase = rng.choice(kind.phrases)
    if rng.random() < 0.15:
        phrase = rng.choice(PREFIXES) + phrase
    if rng.random() < 0.25:
        phrase += rng.choice(SUFFIXES)
    if rng.random() < 0.05:
        phrase = _typo(rng, phrase)
    if rng.random() < 0.3:
        phrase = phrase.capitalize()
    return phrase


def _typed_brand(rng, brand):
    roll = rng.random()
    if roll < 0.1:
        return brand.lower()
    if roll < 0.12:
        return brand.upper()
    return brand


def _typed_model(rng, device):
    """The model as typed: mostly right, sometimes lower case, squashed or mistyped."""
    model = device.model
    roll = rng.random()
    if roll < 0.06:
        return model.lower()
    if roll < 0.09:
        return model.replace(" ", "").lower()
    if roll < 0.11:
        return f"{device.brand} {model}"
    if roll < 0.13:
        return _typo(rng, model)
    return model


def _typo(rng, text):
    """Drop or swap one letter of a word of at least four letters."""
    words = text.split(" ")
    long_words = [n for n, word in enumerate(words) if len(word) >= 4]
    if not long_words:
        return text
    n = rng.choice(long_words)
    word = words[n]
    i = rng.randrange(1, len(word) - 1)
    if rng.random() < 0.5:
        word = word[:i] + word[i + 1 :]
    else:
        word = word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    words[n] = word
    return " ".join(words)


def _round_to_five(amount):
    return _cents((amount / 5).quantize(Decimal(1), ROUND_HALF_UP) * 5)


def _cents(amount):
    return Decimal(amount).quantize(CENT, ROUND_HALF_UP)
