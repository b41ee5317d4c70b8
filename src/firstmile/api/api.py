from django.urls import path
from ninja import NinjaAPI

from firstmile.accounts.api import router as accounts_router
from firstmile.carriers.api import router as carriers_router
from firstmile.dispatch.api import router as dispatch_router
from firstmile.events.api import router as events_router
from firstmile.geo.api import router as geo_router
from firstmile.pickup.api import router as pickup_router
from firstmile.reverse.api import router as reverse_router
from firstmile.shipping.api import router as shipping_router
from firstmile.switchover.api import router as switchover_router

from . import errors
from .auth import ApiTokenAuth, PortalSessionAuth
from .renderers import BeijingJSONRenderer

api = NinjaAPI(
    title="Firstmile API",
    version="1",
    description=(
        "First-mile pickup and direct-mail reverse management. Authenticate with "
        "`Authorization: Bearer <token>` (a merchant's ERP token or a carrier's system "
        "token). Errors are `{code, message, field}`; send `Accept-Language: en` for "
        "English messages (Simplified Chinese by default). Times are ISO 8601 with offset."
    ),
    auth=[ApiTokenAuth(), PortalSessionAuth()],
    urls_namespace="api",
    renderer=BeijingJSONRenderer(),
)
errors.install(api)
api.add_router("/", accounts_router, tags=["accounts"])
api.add_router("/geo", geo_router, tags=["geo"])
api.add_router("/", carriers_router, tags=["carriers"])
api.add_router("/events", events_router, tags=["events"])
api.add_router("/", pickup_router, tags=["pickup"])
api.add_router("/", shipping_router, tags=["shipping"])
api.add_router("/", dispatch_router, tags=["dispatch"])
api.add_router("/", switchover_router, tags=["switchover"])
api.add_router("/", reverse_router, tags=["reverse"])

urlpatterns = [path("", api.urls)]
