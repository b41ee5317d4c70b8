from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date

from firstmile.core.clock import beijing_today
from firstmile.metrics.services import rollup_rebuild, rollup_run


class Command(BaseCommand):
    help = (
        "Rewrite the performance figures of a range of Beijing days from the parcels' records "
        "(after a restore, or a fix to the rules); then roll up any events since."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", help="first day, YYYY-MM-DD; 90 days ago by default")
        parser.add_argument("--to", dest="last", help="last day, YYYY-MM-DD; today by default")

    def handle(self, *args, first=None, last=None, **options):
        today = beijing_today()
        try:
            last_day = parse_date(last) if last else today
            first_day = parse_date(first) if first else today - timedelta(days=89)
        except ValueError as exc:
            raise CommandError(f"not a date: {exc}") from exc
        if first_day is None or last_day is None or first_day > last_day:
            raise CommandError("give --from and --to as YYYY-MM-DD, --from not after --to")
        parcels = rollup_rebuild(first_day=first_day, last_day=last_day)
        report = rollup_run()
        self.stdout.write(
            f"{first_day}–{last_day}: {parcels} parcels rewritten; then {report.parcels} parcels from events "
            f"{report.events_from + 1}–{report.events_to}"
        )
