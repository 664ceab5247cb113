import re

from django.db import migrations

# The intake key of a ticket the REST API booked in: "intake-" and a hash of
# the member of staff and their key. What the request asked was not kept.
API_KEY = re.compile(r"intake-[0-9a-f]{40}")


def claim_keys(apps, schema_editor):
    """Claim the keys of the tickets the API booked in before keys were kept
    apart (pos_project.idempotency), so that their retries still find them."""
    Ticket = apps.get_model("repairs", "Ticket")
    IdempotencyKey = apps.get_model("accounts", "IdempotencyKey")
    stored = (
        Ticket.objects.filter(intake_key__startswith="intake-")
        .values_list("intake_key", flat=True)
        .iterator(chunk_size=2000)
    )
    keys = [IdempotencyKey(scope=key) for key in stored if API_KEY.fullmatch(key)]
    IdempotencyKey.objects.bulk_create(keys, batch_size=2000, ignore_conflicts=True)


def forget_keys(apps, schema_editor):
    IdempotencyKey = apps.get_model("accounts", "IdempotencyKey")
    IdempotencyKey.objects.filter(scope__startswith="intake-").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0011_idempotency_key"),
        ("repairs", "0004_refuse_card_numbers"),
    ]

    operations = [migrations.RunPython(claim_keys, forget_keys)]
