"""Panels on a customer's page, contributed by the apps that know the history.

customers cannot import the apps built on it (invoices, sales, repairs), so each
of them registers a panel here from its AppConfig.ready(); the customer page
loads every panel's fragment from its URL with htmx.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    title: str
    url_name: str  # takes the customer's pk; answers an HTML fragment
    order: int = 100
    permission: str = ""
    live: str = ""  # live topics (accounts/live.py) that redraw the panel


PANELS: list[Panel] = []


def register_panel(title, url_name, *, order=100, permission="", live=""):
    if not any(panel.url_name == url_name for panel in PANELS):
        PANELS.append(Panel(title, url_name, order, permission, live))
        PANELS.sort(key=lambda panel: panel.order)


def panels_for(user):
    return [p for p in PANELS if not p.permission or user.has_perm(p.permission)]
