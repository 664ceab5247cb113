from django.db import migrations

# (status, send it, subject, body): the emails a new shop starts with.
DEFAULT_MESSAGES = [
    (
        "received",
        False,
        "We have your {device}: repair {number}",
        "Hello {customer},\n\nThank you for leaving your {device} with {shop}. "
        "Your repair number is {number}.\nFollow it here: {link}\n\n"
        "{shop} {shop_phone}",
    ),
    (
        "awaiting_approval",
        True,
        "Your estimate for repair {number} is ready",
        "Hello {customer},\n\nWe have looked at your {device} and have an estimate "
        "for you. See it and approve it here: {link}\n\n{shop} {shop_phone}",
    ),
    (
        "ready",
        True,
        "Your {device} is ready for collection",
        "Hello {customer},\n\nGood news: your {device} (repair {number}) is ready "
        "for collection.\nLeft to pay: {balance}.\n\nSee the details: {link}\n\n"
        "{shop} {shop_phone}",
    ),
    (
        "returned",
        False,
        "Your {device} can be collected",
        "Hello {customer},\n\nWe could not repair your {device} (repair {number}). "
        "You can collect it at any time.\n\n{shop} {shop_phone}",
    ),
]


def add_messages(apps, schema_editor):
    MessageTemplate = apps.get_model("repairs", "MessageTemplate")
    for status, active, subject, body in DEFAULT_MESSAGES:
        MessageTemplate.objects.get_or_create(
            status=status,
            defaults={"active": active, "subject": subject, "body": body},
        )


class Migration(migrations.Migration):
    dependencies = [("repairs", "0001_initial")]

    operations = [migrations.RunPython(add_messages, migrations.RunPython.noop)]
