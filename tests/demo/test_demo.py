import pytest
from django.core.management import call_command

from firstmile.accounts.models import ApiToken, Organisation, User
from firstmile.accounts.selectors import api_token_authenticate
from firstmile.carriers.models import Carrier, CoverageArea, SortingCentre
from firstmile.carriers.selectors import carrier_serving
from firstmile.core.clock import beijing
from firstmile.demo.data import load_demo
from firstmile.pickup.models import Warehouse
from firstmile.pickup.selectors import pickup_states

pytestmark = pytest.mark.django_db


def test_demo_loads_the_parties_of_seed_000():
    logins = load_demo()
    wanse = Carrier.objects.get(code="WS")
    assert (wanse.waybill_prefix, wanse.hotline) == ("WS", "4008206207")
    assert wanse.service_opens.hour == 9 and wanse.service_closes.hour == 19
    assert wanse.service_weekdays == "1234567"
    centre = SortingCentre.objects.get(carrier=wanse)
    assert centre.division_id == "441900125"  # 东莞洪梅
    for city in ("441900", "440300", "440100"):
        assert carrier_serving(city, beijing(2023, 9, 1)).code == "JT"
    assert carrier_serving("440605", beijing(2023, 9, 1)) is None  # Foshan merchant: outside coverage
    assert {u for _r, u, _o in logins.users} >= {"ops", "ws_dispatch", "ws_driver", "dg_merchant", "fs_merchant"}
    for _org, _role, raw in logins.tokens:
        assert api_token_authenticate(raw)
    states = {s.warehouse.code: s.kind for s in pickup_states(Warehouse.objects.all())}
    assert states == {"DG-HM-01": "active", "DG-CA-02": "pending", "SZ-FT-01": "pending", "FS-NH-01": "not_covered"}


def test_demo_is_idempotent_and_replaces_its_tokens():
    first = load_demo()

    def counts():
        return (
            Organisation.objects.count(),
            User.objects.count(),
            CoverageArea.objects.count(),
            Warehouse.objects.count(),
        )

    before = counts()
    second = load_demo()
    assert counts() == before
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == len(second.tokens)
    assert {raw for _o, _r, raw in first.tokens}.isdisjoint({raw for _o, _r, raw in second.tokens})
    # A staff and an admin token for the merchant, the carrier and the platform.
    assert sorted((o, r) for o, r, _raw in second.tokens) == sorted(
        (name, role)
        for name in ("东莞明亮灯饰有限公司", "万色速递 Wanse", "Firstmile 平台运营")
        for role in ("admin", "staff")
    )
    issued = ApiToken.objects.filter(revoked_at__isnull=True)
    assert sorted(issued.values_list("role", flat=True)) == ["admin"] * 3 + ["staff"] * 3


def test_demo_command_without_serving(capsys):
    call_command("demo", "--no-serve")
    out = capsys.readouterr().out
    assert "dg_merchant" in out
    assert "firstmile-demo" in out


def test_a_new_user_logging_in_as_a_driver_sees_todays_stops(client):
    from firstmile.bundles.models import Bundle
    from firstmile.dispatch.models import PickupTask, TaskParcel
    from firstmile.shipping.models import Waybill

    load_demo()
    load_demo()  # planning twice is planning once
    assert Waybill.objects.filter(handover_method="PICKUP", waybill_no__startswith="JT").count() == 2
    # And a closed DROP OFF bundle of three sent from Chang'an by express, for the sorting centre.
    bundle = Bundle.objects.get()
    assert (bundle.status, bundle.parcel_count, bundle.handover_method) == ("closed", 3, "DROP_OFF")
    task = PickupTask.objects.get(warehouse__code="DG-HM-01")
    assert task.shift.driver.user.username == "jt_driver" and TaskParcel.objects.filter(task=task).count() == 2
    client.force_login(User.objects.get(username="jt_driver"))
    page = client.get("/driver/").content.decode()
    assert "东莞洪梅一号仓" in page and "陈经理" in page
