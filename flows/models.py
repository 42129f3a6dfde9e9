from __future__ import annotations

from django.conf import settings
from django.db import models

from studio.access import bot_scoped


class Flow(models.Model):
    class Trigger(models.TextChoices):
        EVENT = "event", "Event"
        CONVERSATION = "conversation", "Conversation"
        MANUAL = "manual", "Manual"

    bot = models.ForeignKey("studio.Bot", on_delete=models.CASCADE, related_name="flows")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    trigger_type = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.MANUAL)
    trigger_event = models.SlugField(max_length=80, blank=True, help_text="Event key, e.g. ticket-closed")
    trigger_keywords = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The working copy the builder edits: {"trigger", "nodes", "edges"} as API.md, saved as
    # the user works and possibly invalid. Empty until something writes one.
    draft = models.JSONField(default=dict, blank=True)
    # The version that runs (the latest published); the trigger columns above, and the Node
    # and Edge rows, are a copy of its graph (dispatch queries them; the admin shows them).
    published_version = models.ForeignKey(
        "FlowVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # How many versions were published: publishing is a conditional UPDATE on it.
    version_count = models.PositiveIntegerField(default=0)

    objects = bot_scoped("bot")

    class Meta:
        ordering = ["bot", "name", "id"]
        indexes = [
            # Dispatch: the active flows of a bot started by one event key.
            models.Index(
                fields=["bot", "trigger_type", "trigger_event", "is_active"], name="flows_flow_trigger_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(trigger_type="event") | ~models.Q(trigger_event=""),
                name="flows_flow_event_trigger_has_key",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def trigger(self) -> dict:
        if self.trigger_type == self.Trigger.EVENT:
            return {"type": "event", "event": self.trigger_event}
        if self.trigger_type == self.Trigger.CONVERSATION:
            return {"type": "conversation", "keywords": list(self.trigger_keywords or [])}
        return {"type": "manual"}


class FlowVersion(models.Model):
    """A published, immutable snapshot of a flow's graph; runs execute one of these."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    graph = models.JSONField(help_text='{"trigger", "nodes", "edges"} as published')
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["flow", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["flow", "number"], name="flows_version_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.flow_id} v{self.number}"


class Node(models.Model):
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="nodes")
    key = models.SlugField(max_length=80)
    type = models.CharField(max_length=40)
    config = models.JSONField(default=dict, blank=True)
    position_x = models.IntegerField(default=0)
    position_y = models.IntegerField(default=0)

    class Meta:
        ordering = ["flow", "id"]
        constraints = [
            models.UniqueConstraint(fields=["flow", "key"], name="flows_node_unique_key_per_flow"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.type})"


class Edge(models.Model):
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="edges")
    source = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="out_edges")
    port = models.CharField(max_length=40)
    target = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="in_edges")

    class Meta:
        ordering = ["flow", "id"]
        constraints = [
            # One output port leads to at most one node.
            models.UniqueConstraint(fields=["source", "port"], name="flows_edge_one_per_port"),
        ]

    def __str__(self) -> str:
        return f"{self.source.key}.{self.port} -> {self.target.key}"


class FlowRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        WAITING = "waiting", "Waiting"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Trigger(models.TextChoices):
        EVENT = "event", "Event"
        CONVERSATION = "conversation", "Conversation"
        MANUAL = "manual", "Manual"
        TEST = "test", "Test"

    class Waiting(models.TextChoices):
        NOTHING = "", "Nothing"
        REPLY = "reply", "The customer's reply"
        TICKET = "ticket", "The ticket to close"
        DELAY = "delay", "A delay"

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="runs")
    # The published version the run executes to its end, waits included. Null only for a
    # test run of the draft, which carries its own snapshot in `graph`.
    version = models.ForeignKey(
        FlowVersion, null=True, blank=True, on_delete=models.RESTRICT, related_name="runs"
    )
    graph = models.JSONField(null=True, blank=True, help_text="A test run's snapshot of the draft")
    # A dry (test) run: nodes with effects outside the run record what they would do and
    # leave by their success port, or by the port named here per node key.
    dry_run = models.BooleanField(default=False)
    dry_run_ports = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=12, choices=Trigger.choices)
    occurrence = models.ForeignKey(
        "events.EventOccurrence", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    ticket = models.ForeignKey(
        "inbox.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="flow_runs"
    )
    conversation = models.ForeignKey(
        "inbox.Conversation", null=True, blank=True, on_delete=models.SET_NULL, related_name="flow_runs"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    context = models.JSONField(
        default=dict, blank=True, help_text="What started the run (event payload, manual context)"
    )
    vars = models.JSONField(default=dict, blank=True)
    # The node to execute next, and the port to leave it by when resuming a waiting node.
    current_node = models.CharField(max_length=80, blank=True)
    resume_port = models.CharField(max_length=40, blank=True)
    waiting_for = models.CharField(max_length=10, choices=Waiting.choices, blank=True, default="")
    # A Raise ticket node whose `ticket_created` branch runs first: the run waits on the
    # ticket at this node once that branch ends.
    ticket_wait_node = models.CharField(max_length=80, blank=True)
    wait_until = models.DateTimeField(null=True, blank=True)
    step_count = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    # Times the run was taken from a worker that let its lease expire (killed, hung) since it
    # last recorded a step; past FLOW_RUN_MAX_TAKEOVERS the run fails instead of looping.
    lease_takeovers = models.PositiveIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    objects = bot_scoped("flow__bot")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweeper: runs left queued, or running past their lease.
            models.Index(fields=["status", "lease_expires_at"], name="flows_run_sweep_idx"),
            # A worker woken to run queued runs takes the oldest (flows.runrows.claim_next).
            models.Index(fields=["id"], condition=models.Q(status="queued"), name="flows_run_queued_idx"),
            # Resuming the run waiting on a ticket or on a customer's reply.
            models.Index(fields=["ticket", "status"], name="flows_run_ticket_idx"),
            models.Index(fields=["conversation", "status"], name="flows_run_conversation_idx"),
            models.Index(fields=["flow", "status", "-created_at"], name="flows_run_flow_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["occurrence", "flow"],
                condition=models.Q(occurrence__isnull=False),
                name="flows_run_once_per_occurrence",
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} of {self.flow_id} ({self.status})"


class TestRun(FlowRun):
    """Test runs (trigger `test`), listed apart from the runs that count in the admin."""

    class Meta:
        proxy = True
        verbose_name = "test run"


class RunStep(models.Model):
    run = models.ForeignKey(FlowRun, on_delete=models.CASCADE, related_name="steps")
    seq = models.PositiveIntegerField()
    node_key = models.CharField(max_length=80)
    node_type = models.CharField(max_length=40)
    port = models.CharField(max_length=40, blank=True)
    started_at = models.DateTimeField()
    duration_ms = models.FloatField(default=0)
    output = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["run", "seq"], name="flows_step_unique_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.node_key} -> {self.port or ('error' if self.error else 'waiting')}"
