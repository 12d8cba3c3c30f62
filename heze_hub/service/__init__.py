"""The hub as a service (DESIGN §13): ``hub serve``, accounts and roles, the HTTP API and the
web pages, all around the same :class:`~heze_hub.hub.Hub` the command line uses."""
