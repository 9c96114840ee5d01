"""Shared plumbing no business area owns: the database and its unit of work, settings, domain errors,
formatting of money and time, PDF building blocks, the outbox of integration events, the Celery app, metrics."""
