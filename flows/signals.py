"""What flows publish to the layers above them (the event hub). Receivers only hand off.

run_failed(sender=FlowRun, run, bot, key, payload): a run ended with an error; sent inside
the transaction that records the failure.
event_requested(sender=FlowRun, run, bot, key, payload, depth): a Send event node asks the
hub to emit one of its bot's events; the hub's receiver returns the occurrence (None when
the bot has no such event). `depth` is how many send_event hops led here.
"""

from django.dispatch import Signal

RUN_FAILED = "run-failed"

run_failed = Signal()

event_requested = Signal()
