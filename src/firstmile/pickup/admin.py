from django.contrib import admin

from .models import PickupDecision, PickupSubscription, Warehouse


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "merchant", "division", "contact_name", "is_default", "address_version")
    list_filter = ("is_default",)
    search_fields = ("code", "name", "merchant__code", "address_detail")
    list_select_related = ("merchant", "division")
    raw_id_fields = ("division",)

    # Saving here would bypass the pickup request a changed address must raise.
    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(PickupSubscription)
class PickupSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("id", "warehouse", "carrier", "status", "requested_at", "review_due_at", "decided_at")
    list_filter = ("status", "carrier")
    search_fields = ("warehouse__code", "warehouse__name")
    list_select_related = ("warehouse", "carrier")
    raw_id_fields = ("warehouse", "division", "decided_by")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(PickupDecision)
class PickupDecisionAdmin(admin.ModelAdmin):
    list_display = ("warehouse", "address_version", "decided_at", "outcome", "carrier")
    list_filter = ("outcome",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
