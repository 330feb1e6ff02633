"""Small building blocks of the app shell; ``template`` wraps every page in the layout."""

from inboxapp.components.shared.template import template

__all__ = ["template"]
