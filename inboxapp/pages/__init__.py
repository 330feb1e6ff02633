"""One module per route; importing this package registers every page."""

from inboxapp.pages import analytics, home, jobs, login

__all__ = ["analytics", "home", "jobs", "login"]
