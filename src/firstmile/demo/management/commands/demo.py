import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand

from firstmile.demo.data import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Migrate, load the demo data (idempotent), print the logins and serve on 127.0.0.1:8000."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="load the data and stop")
        parser.add_argument("--addrport", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="do not start a worker beside the server")
        parser.add_argument(
            "--history-days",
            type=int,
            default=28,
            help="on a fresh database, play this many past days first (performance pages need history); 0 for none",
        )

    def handle(self, *args, no_serve: bool, addrport: str, no_worker: bool = False, history_days: int = 28, **options):
        call_command("migrate", interactive=False, verbosity=0)
        logins = load_demo(history_days=max(0, min(history_days, 120)))
        self.stdout.write(self.style.SUCCESS("Firstmile demo data is loaded."))
        self.stdout.write(f"\nLogins (password for all: {DEMO_PASSWORD}) at http://{addrport}/login/")
        for role, username, organisation in logins.users:
            self.stdout.write(f"  {username:<14} {role:<7} {organisation}")
        self.stdout.write(
            "\nAPI tokens (new on every run; Authorization: Bearer <token>; admin tokens manage webhooks):"
        )
        for organisation, role, raw in logins.tokens:
            self.stdout.write(f"  {role:<6} {organisation}: {raw}")
        self.stdout.write(f"\nAPI docs: http://{addrport}/api/v1/docs   Admin: http://{addrport}/admin/ (user ops)\n")
        if no_serve:
            return
        # The worker runs pushes, imports, label batches and webhook deliveries; the demo
        # starts one beside the server, as production runs `firstmile worker` next to the web processes.
        worker = None if no_worker else subprocess.Popen([sys.executable, "-m", "firstmile.cli", "worker"])
        if worker:
            self.stdout.write(f"Worker started (pid {worker.pid}); it stops with the server.\n")
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            if worker:
                worker.terminate()
                worker.wait(timeout=30)
