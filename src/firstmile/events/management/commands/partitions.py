"""``firstmile partitions``: the monthly partitions of events and scans, and their upkeep (PostgreSQL)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from firstmile.core import partitioning
from firstmile.core.clock import now


class Command(BaseCommand):
    help = "List the monthly partitions of events and scans; --maintain creates the coming months, archives old ones."

    def add_arguments(self, parser):
        parser.add_argument("--maintain", action="store_true", help="what the worker does every hour, now")
        parser.add_argument(
            "--archive-after-months",
            type=int,
            default=None,
            help="with --maintain: archive months that ended this many months ago "
            "(default FIRSTMILE_ARCHIVE_AFTER_MONTHS; 0 keeps all, else at least 3)",
        )

    def handle(self, *args, maintain: bool, archive_after_months: int | None, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("Partitioning is for PostgreSQL; this database keeps plain tables.")
            return
        if maintain:
            months = settings.FIRSTMILE_ARCHIVE_AFTER_MONTHS if archive_after_months is None else archive_after_months
            try:
                report = partitioning.maintain(at=now(), archive_after_months=months)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"created: {', '.join(report.created) or '-'}")
            self.stdout.write(f"archived to {partitioning.ARCHIVE_SCHEMA}: {', '.join(report.archived) or '-'}")
        for table, column in partitioning.PARTITIONED_TABLES:
            found = partitioning.partitions(table)
            if not found:
                self.stdout.write(f"{table}: not partitioned (migrate first)")
                continue
            self.stdout.write(f"{table} (by month of {column}):")
            for partition in found:
                label = partition.month.strftime("%Y-%m") if partition.month else "default"
                self.stdout.write(f"  {label:8} {partition.name:32} ~{partition.rows:,} rows")
