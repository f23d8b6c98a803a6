"""Parameter links: static and dynamic value lists for request parameters (see ``links.md``)."""
