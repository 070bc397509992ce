"""Events other code subscribes to. Sent inside the transaction that raised the flag;
receivers that talk to the outside world should use `transaction.on_commit`."""

from django.dispatch import Signal

# Sent with `flag` (a RiskFlag) the moment it is created.
risk_flag_raised = Signal()
