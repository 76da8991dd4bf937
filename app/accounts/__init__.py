"""The account flows that the API and the CLI share: ``service`` and ``sessions``."""
