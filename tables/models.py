from __future__ import annotations

from django.db import models


class Table(models.Model):
    """A bot's own table, written by database nodes and browsable in the admin."""

    bot = models.ForeignKey("studio.Bot", on_delete=models.CASCADE, related_name="tables")
    name = models.SlugField(max_length=80)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["bot", "name"]
        constraints = [
            models.UniqueConstraint(fields=["bot", "name"], name="tables_table_unique_name_per_bot"),
        ]

    def __str__(self) -> str:
        return self.name


class Row(models.Model):
    table = models.ForeignKey(Table, on_delete=models.CASCADE, related_name="rows")
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["table", "id"]

    def __str__(self) -> str:
        return f"{self.table.name} #{self.pk}"
