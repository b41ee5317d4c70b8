"""Demo data: the parties of seed 000 as they stood before the J&T → Wanse switch.

Idempotent: running it again creates only what is missing. Every row is made
through the same services the portals and the API use.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import time, timedelta

from django.db import transaction

from firstmile.accounts.actor import Actor
from firstmile.accounts.models import ApiToken, Organisation, OrganisationKind, Role, User
from firstmile.accounts.services import api_token_issue, api_token_revoke, organisation_create, user_create
from firstmile.bundles.models import Bundle
from firstmile.bundles.services import bundle_close, bundle_create
from firstmile.carriers.models import Carrier, CoverageArea, PickupWindow, SortingCentre
from firstmile.carriers.services import carrier_create, coverage_assign, pickup_window_create, sorting_centre_create
from firstmile.core.clock import beijing, beijing_today
from firstmile.dispatch.models import Driver
from firstmile.dispatch.services import day_plan, driver_create, roster_set, route_create
from firstmile.metrics.services import rollup_run
from firstmile.pickup.models import Warehouse
from firstmile.pickup.services import subscription_approve, warehouse_create
from firstmile.reverse.models import ConsolidationAgreement, ReverseOrder
from firstmile.reverse.services import consolidation_agree, reverse_order_create
from firstmile.shipping.models import Order, OrderStatus
from firstmile.shipping.services import order_create, shipment_arrange

from .history import History, at, clock_at

DEMO_PASSWORD = "firstmile-demo"
DEMO_TOKEN_NAME = "demo integration"


@dataclass
class DemoLogins:
    users: list[tuple[str, str, str]] = field(default_factory=list)  # (portal, username, organisation)
    tokens: list[tuple[str, str, str]] = field(default_factory=list)  # (organisation, role, plaintext)


ORGANISATIONS = [
    (OrganisationKind.PLATFORM, "platform", "Firstmile 平台运营"),
    (OrganisationKind.CARRIER, "jt-express", "极兔速递 J&T Express"),
    (OrganisationKind.CARRIER, "wanse", "万色速递 Wanse"),
    (OrganisationKind.MERCHANT, "dg-lighting", "东莞明亮灯饰有限公司"),
    (OrganisationKind.MERCHANT, "sz-gadgets", "深圳小物电子商行"),
    (OrganisationKind.MERCHANT, "fs-furniture", "佛山家居工坊"),
]

USERS = [
    ("platform", "ops", Role.ADMIN, "平台运营"),
    ("platform", "ops_staff", Role.STAFF, "平台运营 值班"),
    ("jt-express", "jt_admin", Role.ADMIN, "极兔管理员"),
    ("jt-express", "jt_dispatch", Role.STAFF, "极兔调度"),
    ("wanse", "ws_admin", Role.ADMIN, "万色管理员"),
    ("wanse", "ws_dispatch", Role.STAFF, "万色调度"),
    ("dg-lighting", "dg_merchant", Role.ADMIN, "东莞明亮 陈经理"),
    ("dg-lighting", "dg_staff", Role.STAFF, "东莞明亮 小王"),
    ("sz-gadgets", "sz_merchant", Role.ADMIN, "深圳小物 林店长"),
    ("fs-furniture", "fs_merchant", Role.ADMIN, "佛山家居 何老板"),
]

CARRIERS = [
    # (organisation, code, zh, en, prefix, hotline, opens, closes)
    ("jt-express", "JT", "极兔速递", "J&T Express", "JT", "956025", time(8), time(22)),
    ("wanse", "WS", "万色速递", "Wanse", "WS", "4008206207", time(9), time(19)),
]

SORTING_CENTRES = [
    # (carrier, code, name, English name, division, detail)
    (
        "JT",
        "JT-GZ-BY",
        "极兔广州白云分拨中心",
        "J&T Guangzhou Baiyun Sorting Centre",
        "440111107",
        "太和镇穗丰村物流园",
    ),
    (
        "WS",
        "WS-DG-HM",
        "万色东莞洪梅分拨仓",
        "Wanse Dongguan Hongmei Sorting Centre",
        "441900125",
        "洪梅镇洪屋涡村工业路18号",
    ),
]

WAREHOUSES = [
    # (merchant user, code, name, contact, phone, division, detail, approve?)
    ("dg_merchant", "DG-HM-01", "东莞洪梅一号仓", "陈经理", "13800138000", "441900125", "洪屋涡村工业路3号", True),
    ("dg_merchant", "DG-CA-02", "东莞长安二号仓", "陈经理", "13800138000", "441900119", "锦厦社区振安路5号", False),
    ("sz_merchant", "SZ-FT-01", "深圳福田仓", "林店长", "0755-8300 1234", "440304004", "福华三路88号", False),
    ("fs_merchant", "FS-NH-01", "佛山南海仓", "何老板", "13900139000", "440605011", "海八路12号", False),
]

DRIVERS = [
    # (carrier, dispatcher, username, name, phone, route name, route areas, weekday stops, weekend stops)
    ("JT", "jt_dispatch", "jt_driver", "李师傅", "13900000001", "东莞全域", ["441900"], 25, 15),
    ("WS", "ws_dispatch", "ws_driver", "王师傅", "13900000002", "东莞全域", ["441900"], 25, 15),
]

ORDERS = [
    ("dg_merchant", "DG-HM-01", f"TT20230918{n:04d}", item) for n, item in enumerate(["LED 台灯", "吊灯", "壁灯"], 1)
]
# Shipped by the demo (PICK UP labels from the Hongmei warehouse), so J&T's day is
# planned and jt_driver finds stops on the driver page, not an empty list.
SHIPPED_ORDERS = [
    ("dg_merchant", "DG-HM-01", f"TT20230918{n:04d}", item) for n, item in enumerate(["台灯灯罩", "灯泡套装"], 4)
]

# A DROP OFF bundle (集包) the merchant packed at Chang'an and sent to J&T's sorting centre by express:
# the sorting centre scans its label (or the express number) and the three parcels arrive as one.
BUNDLED_ORDERS = [
    ("dg_merchant", "DG-CA-02", f"TT20230918{n:04d}", item) for n, item in enumerate(["吸顶灯", "筒灯", "灯带"], 11)
]

# (area, weekdays, from, until, parcels per window): J&T's pickup windows in Dongguan.
PICKUP_WINDOWS = [
    ("441900", [1, 2, 3, 4, 5], "09:00", "12:00", 40),
    ("441900", [1, 2, 3, 4, 5], "14:00", "18:00", 60),
    ("441900", [6, 7], "10:00", "12:00", 20),
]

# Parcels coming back through Wanse's direct-mail consolidation warehouse (seed 003).
REVERSE_ORDERS = [
    # (reverse no, order no, type, disposition, product, goods, business mode)
    ("RV2407240001", "TT2407100001", "intercept_refused", "return", "LED 台灯", "台灯 白色", "pop"),
    ("RV2407240002", "TT2407100002", "intercept_refused", "return", "吊灯", "吊灯 金色", "pop"),
    ("RV2407240003", "TT2407100003", "warehouse_intercepted", "return", "壁灯", "壁灯 黑色", "consignment"),
    ("RV2407240004", "TT2407100004", "customs_failed", "return", "落地灯", "落地灯 白色", "consignment_sale"),
    ("RV2407240005", "TT2407100005", "customs_failed", "destroy", "灯泡套装", "E27 灯泡 10 只", "pop"),
    ("RV2407240006", "TT2407100006", "customs_failed", "destroy", "充电台灯", "锂电台灯", "pop"),
]

# Before the switchover, J&T collected in all three cities of seed 000 (question 2).
JT_COVERAGE = ["441900", "440300", "440100"]
COVERAGE_SINCE = beijing(2023, 1, 1)


@transaction.atomic
def load_demo(*, history_days: int = 0) -> DemoLogins:
    """The demo's parties and today's work; with ``history_days`` on a fresh database, that many
    past days played through the services first (demo/history.py)."""
    logins = DemoLogins()
    # A fresh demo with history starts its parties weeks ago, then plays the days since.
    fresh = history_days > 0 and not Organisation.objects.exists()
    first_day = beijing_today() - timedelta(days=history_days)
    organisations = {}
    with clock_at(at(first_day - timedelta(days=1), 8)) if fresh else nullcontext():
        for kind, code, name in ORGANISATIONS:
            organisations[code] = Organisation.objects.filter(code=code).first() or organisation_create(
                actor=None, kind=kind, code=code, name=name
            )

        for org_code, username, role, display in USERS:
            if not User.objects.filter(username=username).exists():
                user_create(
                    actor=None,
                    organisation=organisations[org_code],
                    username=username,
                    password=DEMO_PASSWORD,
                    role=role,
                    first_name=display,
                )
            logins.users.append((role, username, organisations[org_code].name))

        carriers = {}
        for org_code, code, zh, en, prefix, hotline, opens, closes in CARRIERS:
            carriers[code] = Carrier.objects.filter(code=code).first() or carrier_create(
                actor=None,
                organisation=organisations[org_code],
                code=code,
                name_zh=zh,
                name_en=en,
                waybill_prefix=prefix,
                hotline=hotline,
                service_opens=opens,
                service_closes=closes,
            )

        for carrier_code, code, name, name_en, division, detail in SORTING_CENTRES:
            if not SortingCentre.objects.filter(code=code).exists():
                sorting_centre_create(
                    actor=None,
                    carrier=carriers[carrier_code],
                    code=code,
                    name=name,
                    name_en=name_en,
                    division_code=division,
                    address_detail=detail,
                )

        for division in JT_COVERAGE:
            if not CoverageArea.objects.filter(division_id=division).exists():
                coverage_assign(actor=None, division_code=division, carrier=carriers["JT"], valid_from=COVERAGE_SINCE)

        for username, code, name, contact, phone, division, detail, approve in WAREHOUSES:
            merchant = _actor_of(username)
            if Warehouse.objects.filter(merchant=merchant.organisation, code=code).exists():
                continue
            saved = warehouse_create(
                actor=merchant,
                name=name,
                code=code,
                contact_name=contact,
                phone=phone,
                division_code=division,
                address_detail=detail,
            )
            if approve and saved.decision.subscription_id:
                subscription_approve(actor=_actor_of("jt_dispatch"), subscription_ids=[saved.decision.subscription_id])

        for carrier_code, dispatcher, username, name, phone, route_name, areas, weekday, weekend in DRIVERS:
            if Driver.objects.filter(user__username=username).exists():
                logins.users.append((Role.DRIVER, username, carriers[carrier_code].organisation.name))
                continue
            boss = _actor_of(dispatcher)
            driver = driver_create(actor=boss, name=name, phone=phone, username=username, password=DEMO_PASSWORD)
            route = route_create(actor=boss, name=route_name, division_codes=areas)
            roster_set(actor=boss, driver_id=driver.pk, route_id=route.pk, day_type="weekday", capacity=weekday)
            roster_set(actor=boss, driver_id=driver.pk, route_id=route.pk, day_type="weekend", capacity=weekend)
            logins.users.append((Role.DRIVER, username, carriers[carrier_code].organisation.name))

        # J&T's pickup windows in Dongguan, every day, so a merchant always finds one to book.
        if not PickupWindow.objects.filter(carrier=carriers["JT"]).exists():
            jt_dispatch = _actor_of("jt_dispatch")
            for area, days, start, end, capacity in PICKUP_WINDOWS:
                pickup_window_create(
                    actor=jt_dispatch,
                    division_code=area,
                    weekdays=days,
                    starts_at=start,
                    ends_at=end,
                    capacity=capacity,
                    cutoff_minutes=60,
                )

        # Wanse's Hangzhou warehouse consolidates direct-mail parcels for two of the merchants.
        for merchant_code in ("dg-lighting", "sz-gadgets"):
            if not ConsolidationAgreement.objects.filter(
                carrier__code="WS", merchant__code=merchant_code, ended_at__isnull=True
            ).exists():
                consolidation_agree(actor=_actor_of("ops"), carrier_code="WS", merchant_code=merchant_code)

    if fresh:
        History(_actor_of).play(first_day, history_days)

    for username, warehouse_code, order_no, item in ORDERS + SHIPPED_ORDERS + BUNDLED_ORDERS:
        merchant = _actor_of(username)
        if not Order.objects.filter(merchant=merchant.organisation, order_no=order_no).exists():
            order_create(actor=merchant, order_no=order_no, warehouse_code=warehouse_code, item_summary=item)
    merchant = _actor_of("dg_merchant")
    waiting = Order.objects.filter(
        merchant=merchant.organisation,
        order_no__in=[order_no for _u, _w, order_no, _i in SHIPPED_ORDERS],
        status=OrderStatus.AWAITING_SHIPMENT,
    ).values_list("pk", flat=True)
    if waiting:
        shipment_arrange(actor=merchant, order_ids=list(waiting))
    _demo_bundle(merchant)
    # Today's stops (idempotent; a later run plans its own day and rolls parcels over).
    day_plan(actor=_actor_of("jt_dispatch"))

    warehouse_operator = _actor_of("ws_dispatch")
    for reverse_no, order_no, kind, disposition, product, goods, mode in REVERSE_ORDERS:
        if not ReverseOrder.objects.filter(reverse_no=reverse_no).exists():
            reverse_order_create(
                actor=warehouse_operator,
                merchant_code="dg-lighting",
                reverse_no=reverse_no,
                order_no=order_no,
                sales_return_no=f"SR{order_no[2:]}",
                reverse_type=kind,
                disposition=disposition,
                business_mode=mode,
                warehouse_code="WS-HZ-DM",
                warehouse_name="万色杭州直邮集货仓",
                owner_id="OW-DG-001",
                owner_name="东莞明亮灯饰",
                product_id=f"P{order_no[-4:]}",
                product_name=product,
                goods_id=f"G{order_no[-4:]}",
                goods_name=goods,
            )

    # Plaintext tokens cannot be shown again, so each run replaces the demo's
    # tokens with fresh ones and prints those: a staff token for everyday calls and
    # an admin token (webhook endpoints, people and tokens) for each party.
    ops = _actor_of("ops")
    for org_code in ("dg-lighting", "wanse", "platform"):
        for old in ApiToken.objects.filter(
            organisation=organisations[org_code], name__startswith=DEMO_TOKEN_NAME, revoked_at__isnull=True
        ):
            api_token_revoke(actor=ops, token_id=old.pk)
        for role in (Role.STAFF, Role.ADMIN):
            _token, raw = api_token_issue(
                actor=ops, organisation=organisations[org_code], name=f"{DEMO_TOKEN_NAME} ({role})", role=role
            )
            logins.tokens.append((organisations[org_code].name, str(role), raw))
    # The performance pages read rollups the worker keeps; the demo starts with them current.
    rollup_run()
    return logins


def _demo_bundle(merchant: Actor) -> None:
    """Three DROP OFF labels of the Chang'an warehouse in one closed bundle, sent by express (once)."""
    if Bundle.objects.filter(merchant=merchant.organisation).exists():
        return
    orders = Order.objects.filter(
        merchant=merchant.organisation, order_no__in=[order_no for _u, _w, order_no, _i in BUNDLED_ORDERS]
    )
    waiting = list(orders.filter(status=OrderStatus.AWAITING_SHIPMENT).values_list("pk", flat=True))
    labels = shipment_arrange(actor=merchant, order_ids=waiting) if waiting else []
    if not labels:
        return
    warehouse = labels[0].warehouse
    bundle, _results = bundle_create(
        actor=merchant,
        warehouse_id=warehouse.pk,
        handover_method=labels[0].handover_method,
        waybill_nos=[w.waybill_no for w in labels],
        express_company="顺丰速运",
        express_tracking_no="SF1418000000011",
        sender_phone_tail="8000",
    )
    bundle_close(actor=merchant, bundle_id=bundle.pk, weight_kg="3.6", length_cm=45, width_cm=35, height_cm=30)


def _actor_of(username: str) -> Actor:
    return Actor.for_user(User.objects.select_related("organisation").get(username=username))
