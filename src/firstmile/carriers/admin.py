from django.contrib import admin

from .models import Carrier, CoverageArea, SortingCentre


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "waybill_prefix", "hotline", "is_active")
    search_fields = ("code", "name_zh", "name_en")


@admin.register(SortingCentre)
class SortingCentreAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "carrier", "division", "is_active")
    list_filter = ("carrier",)
    raw_id_fields = ("division",)


@admin.register(CoverageArea)
class CoverageAreaAdmin(admin.ModelAdmin):
    list_display = ("division", "carrier", "valid_from", "valid_to")
    list_filter = ("carrier",)
    list_select_related = ("division", "carrier")
    search_fields = ("division__name", "division__code")
    raw_id_fields = ("division",)

    # Coverage changes go through coverage_assign, which closes the previous
    # row and writes the event; the admin only shows the history.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
