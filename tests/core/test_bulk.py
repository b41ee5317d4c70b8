"""bulk_insert writes what bulk_create writes and gives the instances their ids, on either database."""

import pytest

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
