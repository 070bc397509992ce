"""Notifications to patients: email and text messages, each written down in `NotificationLog`.

`send.send_email` / `send.send_sms` talk to the outside world; `delivery` queues a message
as a log row and delivers it (claiming the row first, so two workers never send it twice),
retrying with exponential backoff. See README.md.
"""
