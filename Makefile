.PHONY: demo test lint check bench screenshots

# Run the demo: install, migrate, load demo data, print logins, serve on 127.0.0.1:8000.
demo:
	scripts/bootstrap.sh
	.venv/bin/firstmile demo

# The whole test suite, on SQLite (with the browser tests) and on PostgreSQL.
test:
	scripts/test.sh

# A PNG of every portal page as every role, at 1366 and 390 px, in Chinese and English, in
# screenshots/ (the page walk of tests/browser/test_page_walk.py, saving what it sees).
screenshots:
	scripts/bootstrap.sh --browser
	rm -rf screenshots
	FIRSTMILE_SCREENSHOTS=$(CURDIR)/screenshots DJANGO_ALLOW_ASYNC_UNSAFE=true env -u DATABASE_URL \
		.venv/bin/pytest tests/browser/test_page_walk.py -q -p no:logging
	@echo "Screenshots in screenshots/ ($$(ls screenshots | wc -l) pages)"

# Static checks CI runs before the tests.
lint:
	scripts/bootstrap.sh
	.venv/bin/ruff check src tests scripts bench
	.venv/bin/ruff format --check src tests scripts bench
	.venv/bin/lint-imports
	.venv/bin/firstmile makemigrations --check --dry-run

check: lint test

# Benchmarks (PostgreSQL at 127.0.0.1:5432); results go in docs/benchmarks.md.
bench:
	scripts/bootstrap.sh
	PYTHONPATH=. .venv/bin/python bench/subscription_bulk_approve.py
	PYTHONPATH=. .venv/bin/python bench/waybill_issuing.py
	PYTHONPATH=. .venv/bin/python bench/arrange_cost.py
	.venv/bin/python bench/labels.py
	PYTHONPATH=. .venv/bin/python bench/switchover_push.py
	PYTHONPATH=. .venv/bin/python bench/reverse_list.py
	PYTHONPATH=. .venv/bin/python bench/webhook_delivery.py
	PYTHONPATH=. .venv/bin/python bench/switchover_push_kill.py
	PYTHONPATH=. .venv/bin/python bench/api_get.py
	PYTHONPATH=. .venv/bin/python bench/api_instructions.py
	PYTHONPATH=. .venv/bin/python bench/growth.py
	PYTHONPATH=. .venv/bin/python bench/load_test.py
	.venv/bin/python bench/setup_time.py
