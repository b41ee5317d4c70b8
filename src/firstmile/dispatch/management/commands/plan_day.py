from django.core.management.base import BaseCommand
from django.utils.dateparse import parse_date

from firstmile.carriers.models import Carrier
from firstmile.core.clock import beijing_today
from firstmile.dispatch.services import day_plan


class Command(BaseCommand):
    help = "Plan a day's pickups for every active carrier (or one): run it from cron early each morning."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Beijing date, YYYY-MM-DD; today by default")
        parser.add_argument("--carrier", help="carrier code; all active carriers by default")

    def handle(self, *args, date=None, carrier=None, **options):
        day = parse_date(date) if date else beijing_today()
        carriers = Carrier.objects.filter(is_active=True)
        if carrier:
            carriers = carriers.filter(code=carrier)
        for c in carriers.order_by("code"):
            plan = day_plan(actor=None, carrier=c, day=day)
            self.stdout.write(
                f"{c.code} {plan.date}: {plan.tasks} stops, {plan.parcels_linked} parcels linked "
                f"({plan.parcels_rolled_over} rolled over), {plan.assigned} assigned, "
                f"{plan.unassigned} without a driver"
            )
