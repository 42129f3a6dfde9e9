"""What flows publish to the layers above them (the event hub). Receivers only hand off.

run_failed(sender=FlowRun, run, bot, key, payload): a run ended with an error; sent inside
the transaction that records the failure.
"""

from django.dispatch import Signal

RUN_FAILED = "run-failed"

run_failed = Signal()
