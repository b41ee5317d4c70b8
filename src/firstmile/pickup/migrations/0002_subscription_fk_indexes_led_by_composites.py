# The subscription's warehouse and carrier keys lose their single-column indexes:
# (warehouse, status) and (carrier, status, requested_at) lead with the same columns;
# its created_at loses its index too (nothing reads requests by creation).
#
# Not AlterField(db_index=False) on the database: on PostgreSQL Django drops every
# index it finds on the column, and that took the two partial unique constraints on
# warehouse_id (one pending request, one open-ended subscription per warehouse)
# with it. Only the two named indexes go; Django's index names are the same on
# PostgreSQL and SQLite. tests/core/test_schema_matches_models.py checks the rest.

import django.db.models.deletion
from django.db import migrations, models

INDEXES = {
    "pickup_pickupsubscription_carrier_id_50874af9": "carrier_id",
    "pickup_pickupsubscription_warehouse_id_82f21e04": "warehouse_id",
    "pickup_pickupsubscription_created_at_81c0a6c9": "created_at",
}


class Migration(migrations.Migration):

    dependencies = [
        ('carriers', '0003_pickup_windows'),
        ('pickup', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='pickupsubscription',
                    name='created_at',
                    field=models.DateTimeField(auto_now_add=True, verbose_name='created at'),
                ),
                migrations.AlterField(
                    model_name='pickupsubscription',
                    name='carrier',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='subscriptions', to='carriers.carrier'),
                ),
                migrations.AlterField(
                    model_name='pickupsubscription',
                    name='warehouse',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='subscriptions', to='pickup.warehouse'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {name}",
                    f"CREATE INDEX IF NOT EXISTS {name} ON pickup_pickupsubscription ({column})",
                )
                for name, column in INDEXES.items()
            ],
        ),
    ]
