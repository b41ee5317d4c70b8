from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "is_active", "created_at")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "organisation", "role", "is_active", "last_login")
    list_filter = ("role", "organisation__kind", "is_active")
    list_select_related = ("organisation",)
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Organisation"), {"fields": ("organisation", "role", "phone", "preferred_language")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "organisation", "created_at", "last_used_at", "revoked_at")
    list_filter = ("organisation__kind",)
    search_fields = ("name", "prefix", "organisation__code")
    # Digests are useless to a person and tokens are issued through the service,
    # which is the only place that ever sees a plaintext.
    readonly_fields = ("prefix", "digest", "last_used_at", "created_by", "created_by_token")

    def has_add_permission(self, request):
        return False
