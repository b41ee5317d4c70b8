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
    path("carrier/", carrier.home, name="carrier_home"),
    path("ops/", ops.home, name="ops_home"),
    path("ops/coverage/", ops.coverage, name="ops_coverage"),
    path("ops/organisations/", ops.organisations, name="ops_organisations"),
    path("driver/", driver.home, name="driver_home"),
]
