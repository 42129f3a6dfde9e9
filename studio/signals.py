"""The core's hand-off points. Higher apps receive them; receivers only hand off.

bot_created(sender=Bot, bot): sent by studio.services.create_bot inside its transaction (the
event hub installs the bot's catalogue).
"""

from django.dispatch import Signal

bot_created = Signal()
