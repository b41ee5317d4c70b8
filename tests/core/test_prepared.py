"""Prepared querysets give exactly what the queryset gives, for each call's own parameters."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext

from firstmile.carriers.services import coverage_assign
from firstmile.core.clock import beijing
from firstmile.core.prepared import prepared
from firstmile.pickup.models import Warehouse
from firstmile.pickup.selectors import pickup_states, warehouse_get, with_pickup_facts
from firstmile.pickup.services import warehouse_create

from .. import factories

pytestmark = pytest.mark.django_db


@prepared
def _by_merchant_and_code(merchant_id: int, code: str, since: datetime) -> QuerySet[Warehouse]:
    warehouses = Warehouse.objects.select_related("division")
    return warehouses.filter(merchant_id=merchant_id, code=code, created_at__gte=since)


@prepared
def _by_ids(ids: list[int]) -> QuerySet[Warehouse]:
    return Warehouse.objects.filter(pk__in_array=ids).order_by("id")


def _warehouses(merchant, n):
    return [
        warehouse_create(
            actor=merchant,
            name=f"仓{i}",
            code=f"W{i}",
            contact_name="陈经理",
            phone="13800138000",
            division_code="441900125",
            address_detail=f"工业路{i}号",
        ).warehouse
        for i in range(n)
    ]


def test_each_call_binds_its_own_values_and_builds_the_same_instances():
    a, b = factories.actor(), factories.actor()
    made_a, made_b = _warehouses(a, 2), _warehouses(b, 1)
    long_ago = beijing(2000, 1, 1)
    [found] = _by_merchant_and_code(merchant_id=a.organisation.pk, code="W1", since=long_ago)
    assert found == made_a[1]
    assert found.division.name == "洪梅镇"  # select_related came back filled
    [other] = _by_merchant_and_code(merchant_id=b.organisation.pk, code="W0", since=long_ago)
    assert other == made_b[0]
    later = found.created_at + timedelta(days=1)
    assert _by_merchant_and_code(merchant_id=a.organisation.pk, code="W0", since=later) == []
    assert _by_ids(ids=[made_a[1].pk, made_b[0].pk]) == [made_a[1], made_b[0]]
    assert _by_ids(ids=[made_a[0].pk]) == [made_a[0]]


def test_an_integer_no_column_holds_finds_nothing_instead_of_failing():
    @prepared
    def by_pk(pk: int) -> QuerySet[Warehouse]:
        return Warehouse.objects.filter(pk=pk)

    assert by_pk(pk=10**30) == [] and by_pk(pk=-(10**30)) == []


def test_prepared_reads_are_logged_like_any_query():
    merchant = factories.actor()
    _warehouses(merchant, 1)
    with CaptureQueriesContext(connection) as queries:
        _by_merchant_and_code(merchant_id=merchant.organisation.pk, code="W0", since=beijing(2000, 1, 1))
    assert len(queries) == 1


def test_wrong_calls_are_refused():
    with pytest.raises(TypeError):
        _by_ids(idz=[1])
    with pytest.raises(ValueError):
        _by_merchant_and_code(merchant_id=1, code=None, since=beijing(2000, 1, 1))

    @prepared
    def transformed(name: str) -> QuerySet[Warehouse]:
        return Warehouse.objects.filter(name__icontains=name)

    with pytest.raises(ValueError, match="transformed"):
        transformed(name="仓")


def test_single_warehouse_read_agrees_with_the_list_path():
    """warehouse_get brings the pickup facts along; pickup_states fetches them otherwise: same states."""
    jt = factories.carrier("JT", with_centre_in="440111107")
    coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 1, 1))
    merchant = factories.actor()
    made = _warehouses(merchant, 3)
    listed = pickup_states(Warehouse.objects.filter(merchant=merchant.organisation).order_by("id"))
    for warehouse, state in zip(made, listed, strict=True):
        single = pickup_states([warehouse_get(actor=merchant, warehouse_id=warehouse.pk)])[0]
        assert (single.kind, single.subscription, single.serving_carrier_id) == (
            state.kind,
            state.subscription,
            state.serving_carrier_id,
        )
    assert listed[0].serving_carrier_id == jt.pk and listed[0].subscription is not None
    annotated = list(with_pickup_facts(Warehouse.objects.filter(pk=made[0].pk)))
    assert annotated[0].pickup_serving_carrier_id == listed[0].serving_carrier_id


def test_subscriptions_carried_as_json_are_the_rows_the_orm_reads():
    """core/json_rows: every field (timestamps to the microsecond, ids, texts) and the carrier, as read by the ORM."""
    if connection.vendor != "postgresql":
        pytest.skip("rows come as JSON only on PostgreSQL")
    from firstmile.core.json_rows import rows_to_instances
    from firstmile.pickup.models import PickupSubscription
    from firstmile.pickup.services import subscription_reject

    jt = factories.carrier("JT", with_centre_in="440111107")
    coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 1, 1))
    merchant = factories.actor()
    [warehouse] = _warehouses(merchant, 1)
    staff = factories.actor(jt.organisation, kind="carrier", role="staff")
    subscription_reject(
        actor=staff,
        subscription_ids=[PickupSubscription.objects.get().pk],
        reason="address_unreachable",
        note="门牌号不清 <b>",
    )
    read = warehouse_get(actor=merchant, warehouse_id=warehouse.pk)
    [carried] = rows_to_instances(PickupSubscription, read.pickup_subscription_rows, related=("carrier",))
    # What the row leaves out is deferred, as QuerySet.defer leaves it, and loads on access (compared below).
    assert carried.get_deferred_fields() == {"created_at", "updated_at", "decided_by_id"}
    assert carried.carrier.get_deferred_fields() == {"created_at", "updated_at", "organisation_id"}
    fetched = PickupSubscription.objects.select_related("carrier").get()
    for field in PickupSubscription._meta.concrete_fields:
        assert getattr(carried, field.attname) == getattr(fetched, field.attname), field.name
    for field in type(jt)._meta.concrete_fields:
        assert getattr(carried.carrier, field.attname) == getattr(fetched.carrier, field.attname), field.name
    assert carried.decided_at.tzinfo is not None and carried.decided_at == fetched.decided_at
    assert (carried._state.adding, carried._state.db, carried.pk) == (False, "default", fetched.pk)
    assert carried == fetched and carried.get_status_display() == fetched.get_status_display()


def test_a_list_of_codes_binds_like_a_list_of_ids():
    from firstmile.carriers.selectors import coverage_serving

    carrier = factories.carrier("JT")
    coverage_assign(actor=None, division_code="441900", carrier=carrier, valid_from=beijing(2023, 1, 1))
    town = coverage_serving("441900125", beijing(2023, 6, 1))
    assert town is not None and town.carrier == carrier and town.division_id == "441900"
    assert coverage_serving("441900125", beijing(2022, 6, 1)) is None  # before it started
    assert coverage_serving("110101001", beijing(2023, 6, 1)) is None  # another province

    @prepared
    def by_codes(codes: list[str]) -> QuerySet[Warehouse]:
        return Warehouse.objects.filter(code__in_array=codes).order_by("code")

    merchant = factories.actor()
    made = _warehouses(merchant, 3)
    assert by_codes(codes=["W2", "W0", "nope"]) == [made[0], made[2]]
    assert by_codes(codes=["W1"]) == [made[1]]


def test_instances_made_from_rows_are_what_the_orm_makes():
    """core/prepared's instances: every field, annotations, deferred fields and the saved state."""
    from django.db.models import F, Value
    from django.db.models.signals import post_init

    merchant = factories.actor()
    [made] = _warehouses(merchant, 1)

    @prepared
    def annotated(pk: int) -> QuerySet[Warehouse]:
        return Warehouse.objects.filter(pk=pk).annotate(twice=F("address_version") * 2, tag=Value("x"))

    @prepared
    def narrow(pk: int) -> QuerySet[Warehouse]:
        return Warehouse.objects.filter(pk=pk).only("pk", "name")

    [found] = annotated(pk=made.pk)
    fetched = Warehouse.objects.get(pk=made.pk)
    for field in Warehouse._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(fetched, field.attname), field.name
    assert (found.twice, found.tag) == (2 * made.address_version, "x")
    assert (found._state.adding, found._state.db) == (False, "default")
    found.name = "改名仓"
    found.save(update_fields=["name"])  # a saved instance: save() updates, it does not insert
    assert Warehouse.objects.get(pk=made.pk).name == "改名仓" and Warehouse.objects.count() == 1

    @prepared
    def with_merchant(pk: int) -> QuerySet[Warehouse]:
        return Warehouse.objects.select_related("merchant").filter(pk=pk)

    with CaptureQueriesContext(connection) as queries:  # logged like any query; the parent comes in the same row
        [joined] = with_merchant(pk=made.pk)
        assert joined.merchant == merchant.organisation and joined.merchant.name == merchant.organisation.name
    assert len(queries) == 1

    [partial] = narrow(pk=made.pk)
    assert partial.get_deferred_fields() == {f.attname for f in Warehouse._meta.concrete_fields} - {"id", "name"}
    with CaptureQueriesContext(connection) as queries:
        assert partial.code == made.code  # a deferred field loads on access, as from the ORM
    assert len(queries) == 1

    seen = []

    def count(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(count, sender=Warehouse)
    try:
        [again] = annotated(pk=made.pk)  # a model with init signals goes Django's way and sends them
    finally:
        post_init.disconnect(count, sender=Warehouse)
    assert seen == [again] and again.twice == 2 * made.address_version
