"""The default price list of docs/billing.md. Operators change prices in the console afterwards."""

from django.db import migrations

from billing.prices import DEFAULT_PRICES, seed_prices


def seed(apps, schema_editor):
    seed_prices(apps.get_model("billing", "PriceItem"))


def unseed(apps, schema_editor):
    apps.get_model("billing", "PriceItem").objects.filter(code__in=[d[0] for d in DEFAULT_PRICES]).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
