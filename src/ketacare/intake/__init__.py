"""Intake: public consultation requests, the intake queue, and the clinic newsletter list.

See README.md. Public pages (no sign-in) live in `public_views.py` under /c/<clinic>/;
staff pages in `views.py` and `newsletter_views.py` under /intake/.
"""
