"""Demo data: a bot with CSAT on, an admin and two agents, conversations, open tickets and
the demo flows (the support chat and four ticket-closed flows), with ticket-closed active."""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction

from events import services as events
from events.models import Event
from flows import graph
from flows.models import Flow
from home import demo_flows
from inbox import services as inbox
from studio import services as studio
from studio.access import ADMINS_GROUP
from studio.models import Bot

DEMO_PASSWORD = "studio-demo"


class Command(BaseCommand):
    help = "Load demo data (idempotent: does nothing when the demo bot exists)."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        bot = Bot.objects.filter(name="Acme Support").first()
        if bot is None:
            bot = self._create()
        self._flows(bot)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Log in at http://127.0.0.1:8000/admin/"))
        self.stdout.write(f"  admin   / {DEMO_PASSWORD}   (studio admin)")
        self.stdout.write(f"  alice   / {DEMO_PASSWORD}   (agent of {bot.name}, billing)")
        self.stdout.write(f"  bob     / {DEMO_PASSWORD}   (agent of {bot.name}, technical)")
        self.stdout.write("Agent console: http://127.0.0.1:8000/inbox/")
        self.stdout.write(f"Customer chat: http://127.0.0.1:8000/chat/{bot.pk}/")

    def _create(self) -> Bot:
        bot = studio.create_bot("Acme Support", csat={"enabled": True, "expires_after_minutes": 60})
        admin = User.objects.create_superuser("admin", "admin@example.com", DEMO_PASSWORD)
        admin.groups.add(Group.objects.get_or_create(name=ADMINS_GROUP)[0])
        inbox.create_agent(
            username="alice",
            password=DEMO_PASSWORD,
            name="Alice Agent",
            email="alice@example.com",
            bots=[bot],
            groups=["billing"],
        )
        inbox.create_agent(
            username="bob",
            password=DEMO_PASSWORD,
            name="Bob Agent",
            email="bob@example.com",
            bots=[bot],
            groups=["technical"],
        )
        for name, subject, category in [
            ("Dana Customer", "I was charged twice", "billing"),
            ("Eli Customer", "The app crashes on login", "technical"),
            ("Fay Customer", "How do I change my plan?", "billing"),
        ]:
            conversation = inbox.start_conversation(
                bot, customer={"name": name, "email": f"{name.split()[0].lower()}@example.com"}
            )
            inbox.post_customer_message(conversation, subject)
            inbox.raise_ticket(conversation, subject=subject, category=category, priority="high")
        return bot

    def _flows(self, bot: Bot) -> None:
        """Add the demo flows that are missing (an admin's edits to existing ones are kept)."""
        for data in demo_flows.all_flows():
            if not Flow.objects.filter(bot=bot, name=data["name"]).exists():
                graph.save_flow(bot=bot, data=data)
        # The mission: closing a ticket starts the event-triggered flows.
        events.set_active_many(Event.objects.filter(bot=bot, key="ticket-closed"), True)
