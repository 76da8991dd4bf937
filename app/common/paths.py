"""Which paths are the API's: its answers are JSON, every other path gets the page."""

API_PREFIX = "/api"


def is_api_path(path: str) -> bool:
    """True for ``/api`` and every path below it: the answers that must be JSON."""
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")
