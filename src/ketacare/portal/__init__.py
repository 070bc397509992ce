"""The patient portal: patients invited by their clinic see and do their own part of care."""
