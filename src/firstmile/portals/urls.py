from django.urls import path

from . import views
from .carrier import views as carrier
from .driver import views as driver
from .merchant import views as merchant
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
    path("carrier/", carrier.home, name="carrier_home"),
    path("carrier/pickup-requests/", carrier.pickup_requests, name="carrier_pickup_requests"),
    path("carrier/pickup-requests/decide/", carrier.pickup_requests_decide, name="carrier_pickup_requests_decide"),
    path("ops/", ops.home, name="ops_home"),
    path("ops/coverage/", ops.coverage, name="ops_coverage"),
    path("ops/organisations/", ops.organisations, name="ops_organisations"),
    path("driver/", driver.home, name="driver_home"),
]
