"""bulk_insert writes what bulk_create writes and gives the instances their ids, on either database."""

from datetime import UTC, datetime

import pytest
import time_machine

from firstmile.accounts.models import Organisation, OrganisationKind
from firstmile.core.bulk import bulk_insert

pytestmark = pytest.mark.django_db


def test_rows_come_back_as_written_with_their_ids():
    made = bulk_insert(
        Organisation,
        [Organisation(kind=OrganisationKind.MERCHANT, code=f"bulk{i}", name=f"商家 {i}\u3000'\"") for i in range(120)],
    )
    assert all(o.pk for o in made) and len({o.pk for o in made}) == 120
    assert not made[0]._state.adding
    stored = {o.pk: o for o in Organisation.objects.filter(code__startswith="bulk")}
    for o in made:
        assert (stored[o.pk].code, stored[o.pk].name, stored[o.pk].kind) == (o.code, o.name, o.kind)
        assert stored[o.pk].created_at == o.created_at  # auto_now_add filled in before writing
    assert bulk_insert(Organisation, []) == []


def test_update_by_ids_changes_exactly_those_rows_as_the_orm_would():
    from django.utils import timezone

    from firstmile.core.bulk import update_by_ids

    made = bulk_insert(
        Organisation, [Organisation(kind=OrganisationKind.MERCHANT, code=f"upd{i}", name=f"旧 {i}") for i in range(6)]
    )
    moment = timezone.now()
    chosen = [made[1].pk, made[4].pk]
    for _round in range(7):  # past psycopg's prepare threshold: the kept statement binds each call's values
        assert update_by_ids(Organisation, chosen, name="新 'x'", updated_at=moment) == 2
    rows = dict(Organisation.objects.filter(code__startswith="upd").values_list("pk", "name"))
    assert {pk for pk, name in rows.items() if name == "新 'x'"} == set(chosen)
    assert Organisation.objects.get(pk=made[1].pk).updated_at == moment
    assert update_by_ids(Organisation, [made[0].pk], name="另一个") == 1
    assert update_by_ids(Organisation, [], name="无") == 0
    assert rows[made[0].pk] == "旧 0" and Organisation.objects.get(pk=made[0].pk).name == "另一个"


def test_many_rows_sharing_values_are_prepared_once_and_written_alike():
    shared_name = "共同 名称"
    made = bulk_insert(
        Organisation,
        [Organisation(kind=OrganisationKind.CARRIER, code=f"same{i}", name=shared_name) for i in range(40)],
    )
    stored = Organisation.objects.filter(pk__in=[o.pk for o in made])
    assert {(o.name, o.kind) for o in stored} == {(shared_name, OrganisationKind.CARRIER)}


def test_json_values_and_columns_of_nothing_but_null_go_in_as_bulk_create_writes_them():
    from django.utils import timezone

    from firstmile.events.models import Event

    moment = timezone.now()
    payloads = [{"n": i, "名": "值 \"'", "list": [1, None, 2.5]} for i in range(3)] + [{}]
    made = bulk_insert(
        Event,
        [
            Event(kind="order.shipped", subject_type="shipping.order", subject_id=str(i), payload=p, occurred_at=moment)
            for i, p in enumerate(payloads)
        ],
    )
    stored = {e.pk: e for e in Event.objects.filter(pk__in=[e.pk for e in made])}
    assert [stored[e.pk].payload for e in made] == payloads
    assert {(e.actor_user_id, e.owner_id, e.occurred_at) for e in stored.values()} == {(None, None, moment)}


def test_new_instances_are_what_the_model_constructor_makes():
    from firstmile.core.bulk import new_instances
    from firstmile.events.models import Event

    rows = [{"kind": "order.shipped", "subject_type": "shipping.order", "subject_id": str(i)} for i in range(3)]
    # occurred_at's default reads the clock: both ways must read the same instant.
    with time_machine.travel(datetime(2026, 3, 1, 4, 5, tzinfo=UTC), tick=False):
        fast, slow = new_instances(Event, rows), [Event(**row) for row in rows]
    for made, reference in zip(fast, slow, strict=True):
        assert made._state.adding and made._state.db is None and made.pk is None
        assert {f.attname: getattr(made, f.attname) for f in Event._meta.concrete_fields} == {
            f.attname: getattr(reference, f.attname) for f in Event._meta.concrete_fields
        }
    # A callable default (the payload's fresh dict) is called for each instance, never shared.
    fast[0].payload["changed"] = True
    assert fast[1].payload == {}
    with pytest.raises(TypeError, match="no_such_field"):
        new_instances(Event, [{"kind": "order.shipped", "no_such_field": 1}])
    saved = bulk_insert(Event, new_instances(Event, rows))
    assert Event.objects.filter(pk__in=[e.pk for e in saved]).count() == 3


def test_the_rows_of_one_insert_share_one_creation_instant():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("elsewhere bulk_insert is bulk_create, which reads the clock for each row")
    made = bulk_insert(
        Organisation, [Organisation(kind=OrganisationKind.MERCHANT, code=f"inst{i}", name="同") for i in range(30)]
    )
    assert len({o.created_at for o in made}) == 1 and len({o.updated_at for o in made}) == 1
    stored = set(Organisation.objects.filter(code__startswith="inst").values_list("created_at", flat=True))
    assert stored == {made[0].created_at}
