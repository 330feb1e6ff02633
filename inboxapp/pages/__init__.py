"""One module per route; importing this package registers every page."""

from inboxapp.pages import home, jobs, login

__all__ = ["home", "jobs", "login"]
