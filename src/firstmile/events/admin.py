from django.contrib import admin

from .models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "kind", "subject_type", "subject_id", "from_state", "to_state", "actor_label")
    list_filter = ("kind", "subject_type")
    search_fields = ("subject_id", "kind", "actor_label")
    date_hierarchy = "occurred_at"

    # The event log is a record of what happened: nobody edits history.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
