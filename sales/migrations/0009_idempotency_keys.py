import re

from django.db import migrations

# The checkout token of a sale the REST API made: "sale-", a hash of the
# member of staff and their key, "-", the fingerprint of the order.
API_TOKEN = re.compile(r"sale-[0-9a-f]{40}-[0-9a-f]{16}")


def claim_keys(apps, schema_editor):
    """Claim the keys of the sales the API made before keys were kept apart
    (pos_project.idempotency), so that their retries still find them."""
    Sale = apps.get_model("sales", "Sale")
    IdempotencyKey = apps.get_model("accounts", "IdempotencyKey")
    tokens = (
        Sale.objects.filter(checkout_token__startswith="sale-")
        .values_list("checkout_token", flat=True)
        .iterator(chunk_size=2000)
    )
    keys = [
        IdempotencyKey(scope=token[:45], fingerprint=token[46:])
        for token in tokens
        if API_TOKEN.fullmatch(token)
    ]
    IdempotencyKey.objects.bulk_create(keys, batch_size=2000, ignore_conflicts=True)


def forget_keys(apps, schema_editor):
    IdempotencyKey = apps.get_model("accounts", "IdempotencyKey")
    IdempotencyKey.objects.filter(scope__startswith="sale-").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0011_idempotency_key"),
        ("sales", "0008_refuse_card_numbers"),
    ]

    operations = [migrations.RunPython(claim_keys, forget_keys)]
