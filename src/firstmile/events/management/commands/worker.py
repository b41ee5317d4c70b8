from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string

from firstmile.core.logs import log_start
from firstmile.events.worker import FirstmileWorker


class Command(BaseCommand):
    help = "Run a Firstmile worker: webhook deliveries and background jobs. Run several for more throughput."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=0.5, help="seconds to sleep when there is nothing to do")
        parser.add_argument("--batch", action="store_true", help="work until nothing is due, then exit")
        parser.add_argument("--deliveries", type=int, default=50, help="deliveries leased per round")
        parser.add_argument("--queue-name", default="default", help="task queues, comma-separated, or *")
        parser.add_argument("--worker-id", default="", help="unique per process (default: random)")

    def handle(self, *, interval, batch, deliveries, queue_name, worker_id, **options):
        worker = FirstmileWorker(
            queue_names=queue_name.split(","),
            interval=max(interval, 0.0),
            batch=batch,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=(worker_id or get_random_string(32))[:64],
            excluded_queue_names=[],
            delivery_batch=max(1, min(deliveries, 500)),
        )
        worker.configure_signals()
        log_start("worker")
        worker.run()
