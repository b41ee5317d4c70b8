from django.urls import path

from . import people, reverse_views, views
from .carrier import dispatch as carrier_dispatch
from .carrier import views as carrier
from .driver import views as driver
from .merchant import shipping as merchant_shipping
from .merchant import views as merchant
from .ops import switchover as ops_switchover
from .ops import views as ops

app_name = "portals"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("geo/region-picker/", views.region_picker, name="region_picker"),
    path("geo/coverage-check/", views.coverage_check, name="coverage_check"),
    path("geo/parse-address/", views.address_parse_view, name="address_parse"),
    path("merchant/", merchant.home, name="merchant_home"),
    path("merchant/warehouses/", merchant.warehouses, name="merchant_warehouses"),
    path("merchant/warehouses/new/", merchant.warehouse_new, name="merchant_warehouse_new"),
    path("merchant/warehouses/import/", merchant.warehouse_import_view, name="merchant_warehouse_import"),
    path("merchant/warehouses/<int:warehouse_id>/", merchant.warehouse_detail, name="merchant_warehouse"),
    path("merchant/warehouses/<int:warehouse_id>/edit/", merchant.warehouse_edit, name="merchant_warehouse_edit"),
    path(
        "merchant/warehouses/<int:warehouse_id>/cancel-pickup/",
        merchant.warehouse_cancel_pickup,
        name="merchant_warehouse_cancel_pickup",
    ),
    path("merchant/orders/", merchant_shipping.orders, name="merchant_orders"),
    path("merchant/orders/new/", merchant_shipping.order_new, name="merchant_order_new"),
    path("merchant/orders/import/", merchant_shipping.orders_import, name="merchant_orders_import"),
    path("merchant/orders/arrange/", merchant_shipping.arrange, name="merchant_arrange"),
    path("merchant/orders/<int:order_id>/", merchant_shipping.order_detail, name="merchant_order"),
    path(
        "merchant/orders/<int:order_id>/void/<int:waybill_id>/",
        merchant_shipping.waybill_void_view,
        name="merchant_waybill_void",
    ),
    path("merchant/labels.pdf", merchant_shipping.labels, name="merchant_labels"),
    path("merchant/pickup-help/", merchant_shipping.pickup_help, name="merchant_pickup_help"),
    path("merchant/reverse/", reverse_views.reverse_orders, name="merchant_reverse"),
    path("merchant/reverse/export/", reverse_views.reverse_export, name="merchant_reverse_export"),
    path("merchant/reverse/register/", reverse_views.reverse_register, name="merchant_reverse_register"),
    path(
        "merchant/reverse/confirm-destruction/",
        reverse_views.reverse_confirm_destruction,
        name="merchant_reverse_confirm_destruction",
    ),
    path("merchant/reverse/<int:reverse_order_id>/", reverse_views.reverse_detail, name="merchant_reverse_detail"),
    path("carrier/", carrier.home, name="carrier_home"),
    path("carrier/reverse/", reverse_views.carrier_reverse, name="carrier_reverse"),
    path(
        "merchant/reverse/<int:reverse_order_id>/destruction-photo/",
        reverse_views.merchant_destruction_photo,
        name="merchant_destruction_photo",
    ),
    path(
        "carrier/reverse/<int:reverse_order_id>/destruction-photo/",
        reverse_views.carrier_destruction_photo,
        name="carrier_destruction_photo",
    ),
    path("carrier/reverse/new/", reverse_views.carrier_reverse_new, name="carrier_reverse_new"),
    path("carrier/reverse/import/", reverse_views.carrier_reverse_import, name="carrier_reverse_import"),
    path(
        "carrier/reverse/<int:reverse_order_id>/action/",
        reverse_views.carrier_reverse_action,
        name="carrier_reverse_action",
    ),
    path("carrier/dispatch/", carrier_dispatch.board, name="carrier_dispatch"),
    path("carrier/dispatch/plan/", carrier_dispatch.plan, name="carrier_dispatch_plan"),
    path("carrier/dispatch/tasks/<int:task_id>/assign/", carrier_dispatch.assign, name="carrier_task_assign"),
    path("carrier/team/", carrier_dispatch.team, name="carrier_team"),
    path("carrier/team/save/", carrier_dispatch.team_action, name="carrier_team_action"),
    path("carrier/inbound/", carrier_dispatch.inbound, name="carrier_inbound"),
    path("carrier/pickup-requests/", carrier.pickup_requests, name="carrier_pickup_requests"),
    path("carrier/pickup-requests/decide/", carrier.pickup_requests_decide, name="carrier_pickup_requests_decide"),
    path("ops/", ops.home, name="ops_home"),
    path("ops/coverage/", ops.coverage, name="ops_coverage"),
    path("ops/organisations/", ops.organisations, name="ops_organisations"),
    path("ops/switchovers/", ops_switchover.switchovers, name="ops_switchovers"),
    path("ops/switchovers/<int:switchover_id>/batches/", ops_switchover.batch_new, name="ops_batch_new"),
    path("ops/batches/<int:batch_id>/", ops_switchover.batch, name="ops_batch"),
    path("ops/batches/<int:batch_id>/progress/", ops_switchover.batch_progress, name="ops_batch_progress"),
    path("ops/batches/<int:batch_id>/action/", ops_switchover.batch_action, name="ops_batch_action"),
    path("merchant/people/", people.merchant_people, name="merchant_people"),
    path("carrier/people/", people.carrier_people, name="carrier_people"),
    path("ops/people/", people.ops_people, name="ops_people"),
    path("ops/consolidation/", ops.consolidation, name="ops_consolidation"),
    path(
        "ops/coverage-requests/<int:request_id>/decide/",
        ops.coverage_request_decision,
        name="ops_coverage_request_decide",
    ),
    path("driver/", driver.home, name="driver_home"),
    path("driver/scan/", driver.scan, name="driver_scan"),
    path("driver/stops/<int:task_id>/contact/", driver.contact, name="driver_contact"),
    path("driver/stops/<int:task_id>/close/", driver.close, name="driver_close"),
]
