from django.contrib import admin

from .models import Bundle


@admin.register(Bundle)
class BundleAdmin(admin.ModelAdmin):
    # Read-only: every change goes through the services, which check the rules and write the events.
    list_display = ("number", "merchant", "warehouse", "handover_method", "carrier", "status", "parcel_count")
    list_filter = ("status", "handover_method")
    search_fields = ("number", "express_tracking_no")
    list_select_related = ("merchant", "warehouse", "carrier")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
