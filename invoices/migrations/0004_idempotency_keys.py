import re

from django.db import migrations

# The key of a payment the REST API took: "pay-" and a hash of the member of
# staff and their key. What the request asked was not kept.
API_KEY = re.compile(r"pay-[0-9a-f]{40}")


def claim_keys(apps, schema_editor):
    """Claim the keys of the payments the API took before keys were kept
    apart (pos_project.idempotency), so that their retries still find them."""
    Payment = apps.get_model("invoices", "Payment")
    IdempotencyKey = apps.get_model("accounts", "IdempotencyKey")
    stored = (
        Payment.objects.filter(idempotency_key__startswith="pay-")
        .values_list("idempotency_key", flat=True)
        .iterator(chunk_size=2000)
    )
    keys = [IdempotencyKey(scope=key) for key in stored if API_KEY.fullmatch(key)]
    IdempotencyKey.objects.bulk_create(keys, batch_size=2000, ignore_conflicts=True)


def forget_keys(apps, schema_editor):
    IdempotencyKey = apps.get_model("accounts", "IdempotencyKey")
    IdempotencyKey.objects.filter(scope__startswith="pay-").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0011_idempotency_key"),
        ("invoices", "0003_refuse_card_numbers"),
    ]

    operations = [migrations.RunPython(claim_keys, forget_keys)]
