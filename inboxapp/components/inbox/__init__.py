"""The inbox screen's components: tabs, filters, the conversation list and the open conversation
(``view.inbox_view`` puts them together for the workspace page)."""
