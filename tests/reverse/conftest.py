import pytest

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.reverse.services import consolidation_agree, reverse_order_create

from .. import factories


@pytest.fixture
def warehouse_operator(db):
    """The consolidation warehouse's carrier (万色 runs it in the demo)."""
    carrier = factories.carrier("WS")
    return factories.actor(carrier.organisation, kind=OrganisationKind.CARRIER, role=Role.STAFF)


@pytest.fixture
def merchant(db, warehouse_operator):
    actor = factories.actor(factories.organisation(OrganisationKind.MERCHANT, code="dg-lighting"))
    consolidation_agree(actor=None, carrier_code="WS", merchant_code="dg-lighting")
    return actor


@pytest.fixture
def other_merchant(db, warehouse_operator):
    actor = factories.actor(factories.organisation(OrganisationKind.MERCHANT, code="other-shop"))
    consolidation_agree(actor=None, carrier_code="WS", merchant_code="other-shop")
    return actor


@pytest.fixture
def make_order(warehouse_operator):
    counter = iter(range(1, 10_000))

    def make(merchant_code="dg-lighting", reverse_type="intercept_refused", disposition="return", **extra):
        n = next(counter)
        return reverse_order_create(
            actor=warehouse_operator,
            merchant_code=merchant_code,
            order_no=extra.pop("order_no", f"TT{n:06d}"),
            sales_return_no=extra.pop("sales_return_no", f"SR{n:06d}"),
            reverse_type=reverse_type,
            disposition=disposition,
            business_mode=extra.pop("business_mode", "pop"),
            warehouse_code=extra.pop("warehouse_code", "HZ-CONS-1"),
            warehouse_name=extra.pop("warehouse_name", "杭州直邮集货仓"),
            owner_id=extra.pop("owner_id", "OW1"),
            owner_name=extra.pop("owner_name", "东莞明亮"),
            product_id=extra.pop("product_id", f"P{n}"),
            product_name=extra.pop("product_name", "LED 台灯"),
            goods_id=extra.pop("goods_id", f"G{n}"),
            goods_name=extra.pop("goods_name", "台灯 白色"),
            **extra,
        )

    return make
