from decimal import Decimal

from django.db import migrations


def create_default_rate(apps, schema_editor):
    TaxRate = apps.get_model("accounts", "TaxRate")
    if not TaxRate.objects.exists():
        TaxRate.objects.create(name="No tax", rate=Decimal("0"), is_default=True)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_historicaltaxrate_taxrate_notification")]

    operations = [migrations.RunPython(create_default_rate, migrations.RunPython.noop)]
