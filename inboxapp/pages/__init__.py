"""One module per route; importing this package registers every page."""

from inboxapp.pages import home, login

__all__ = ["home", "login"]
