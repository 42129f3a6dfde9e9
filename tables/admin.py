from django.contrib import admin

from tables.models import Row, Table


class RowInline(admin.TabularInline):
    model = Row
    extra = 0
    fields = ["id", "data", "updated_at"]
    readonly_fields = ["id", "updated_at"]


@admin.register(Table)
class TableAdmin(admin.ModelAdmin):
    list_display = ["name", "bot", "description"]
    list_filter = ["bot"]
    inlines = [RowInline]


@admin.register(Row)
class RowAdmin(admin.ModelAdmin):
    list_display = ["id", "table", "data", "updated_at"]
    list_filter = ["table__bot", "table"]
    list_select_related = ["table"]
