"""Organisations and zero-carbon events (issue 8).

``organisations`` (members, invoice details), ``records`` (events and their footprint),
``survey`` (anonymous attendee travel answers and their aggregation), ``coverage`` (who
covered what, the badge), ``offsets`` (the organiser's orders: estimate, top-up at the
true-up), ``certificate`` (the event certificate's details) and ``report`` (CSV and PDF).
Like every service they take explicit arguments, flush, and never commit.
"""
