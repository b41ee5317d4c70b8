"""Monthly partitions of events and scans on PostgreSQL; plain tables on SQLite."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection

from firstmile.accounts.models import OrganisationKind
from firstmile.core import partitioning
from firstmile.events.models import Event, WebhookDelivery, WebhookEndpoint
from tests import factories
from tests.worker import drain

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL partitions; SQLite keeps plain tables"
)


def _where(event: Event) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM events_event WHERE id = %s", [event.pk])
        row = cursor.fetchone()
    return row[0] if row else ""


def _event(org, at: datetime, kind: str = "warehouse.created") -> Event:
    return Event.objects.create(occurred_at=at, kind=kind, subject_type="pickup.warehouse", subject_id="1", owner=org)


@pytest.mark.django_db
def test_sqlite_keeps_plain_tables_and_maintenance_does_nothing():
    if connection.vendor == "postgresql":
        pytest.skip("the PostgreSQL side is tested below")
    assert not partitioning.is_partitioned("events_event")
    report = partitioning.maintain(at=datetime(2030, 1, 1, tzinfo=UTC), archive_after_months=3)
    assert report.created == [] and report.archived == []


@postgres_only
@pytest.mark.django_db
def test_events_and_scans_are_partitioned_by_month_with_months_ahead():
    for table, _ in partitioning.PARTITIONED_TABLES:
        assert partitioning.is_partitioned(table)
        months = [p.month for p in partitioning.partitions(table)]
        assert months[-1] is None  # the default partition, last
        this_month = partitioning.month_of(datetime.now(UTC))
        assert this_month in months
        assert max(m for m in months if m) >= date(this_month.year + (this_month.month + 2) // 12, 1, 1)


@postgres_only
@pytest.mark.django_db
def test_a_row_lands_in_its_month_and_an_unforeseen_month_is_split_out_of_the_default():
    org = factories.organisation(kind=OrganisationKind.MERCHANT)
    now_event = _event(org, datetime.now(UTC))
    this_month = partitioning.month_of(now_event.occurred_at)
    assert _where(now_event) == partitioning.partition_name("events_event", this_month)

    far = _event(org, datetime(2031, 5, 17, 3, 0, tzinfo=UTC))
    assert _where(far) == "events_event_default"

    report = partitioning.maintain(at=datetime(2031, 5, 1, tzinfo=UTC))
    assert "events_event_p203105" in report.created and "dispatch_scan_p203108" in report.created
    assert _where(far) == "events_event_p203105"
    assert Event.objects.get(pk=far.pk).occurred_at == far.occurred_at
    # Run again: nothing left to do.
    assert partitioning.maintain(at=datetime(2031, 5, 1, tzinfo=UTC)).created == []


@postgres_only
@pytest.mark.django_db
def test_archiving_detaches_old_months_keeps_recent_ones_and_frees_the_parties():
    org = factories.organisation(kind=OrganisationKind.MERCHANT)
    partitioning.maintain(at=datetime(2030, 1, 1, tzinfo=UTC))
    old = _event(org, datetime(2030, 1, 20, tzinfo=UTC))
    recent = _event(org, datetime(2030, 6, 2, tzinfo=UTC))
    endpoint = WebhookEndpoint.objects.create(organisation=org, url="https://erp.example/hook", secret="s")
    WebhookDelivery.objects.create(endpoint=endpoint, event=recent, subject_key="pickup.warehouse:1")

    with pytest.raises(ValueError):
        partitioning.maintain(at=datetime(2030, 6, 15, tzinfo=UTC), archive_after_months=2)
    report = partitioning.maintain(at=datetime(2030, 6, 15, tzinfo=UTC), archive_after_months=3)

    # Months ending before March 2030 leave: January and February.
    assert "events_event_p203001" in report.archived and "events_event_p203002" in report.archived
    assert "events_event_p203003" not in report.archived
    assert not Event.objects.filter(pk=old.pk).exists()
    assert Event.objects.filter(pk=recent.pk).exists()
    assert WebhookDelivery.objects.select_related("event").get(event=recent).event.pk == recent.pk
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {partitioning.ARCHIVE_SCHEMA}.events_event_p203001")
        assert [row[0] for row in cursor.fetchall()] == [old.pk]
    # The archive keeps ids, not constraints: the organisation can still go.
    WebhookDelivery.objects.all().delete()
    org.delete()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {partitioning.ARCHIVE_SCHEMA}.events_event_p203001")
        assert cursor.fetchone()[0] == 1


@postgres_only
@pytest.mark.django_db
def test_back_to_a_plain_table_and_partitioned_again_keeps_rows_and_never_reuses_an_id():
    org = factories.organisation(kind=OrganisationKind.MERCHANT)
    kept = _event(org, datetime.now(UTC))
    dropped = _event(org, datetime.now(UTC)).pk
    Event.objects.filter(pk=dropped).delete()  # its id was handed out once (a webhook's message id): never again

    with connection.schema_editor() as editor:
        partitioning.convert_to_plain(editor, "events_event", "occurred_at")
    assert not partitioning.is_partitioned("events_event")
    assert Event.objects.filter(pk=kept.pk).exists()
    assert _event(org, datetime.now(UTC)).pk > dropped

    with connection.schema_editor() as editor:
        partitioning.convert_to_partitioned(editor, "events_event", "occurred_at", at=datetime.now(UTC))
    assert partitioning.is_partitioned("events_event")
    assert Event.objects.filter(owner=org, kind="warehouse.created").count() == 2
    last = _event(org, datetime.now(UTC))
    assert last.pk > dropped + 1


@postgres_only
@pytest.mark.django_db
def test_the_worker_keeps_partitions_ahead():
    with time_machine.travel(datetime(2032, 2, 10, tzinfo=UTC), tick=False):
        drain()
    assert "dispatch_scan_p203205" in {p.name for p in partitioning.partitions("dispatch_scan")}
