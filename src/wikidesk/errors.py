"""The one exception type users can cause; the CLI and the API turn it into a line or a 4xx."""


class WikideskError(Exception):
    """An error a user can act on; its message says what was expected and what was given."""

    status = 400


class NotFound(WikideskError):
    status = 404


class IndexProblem(WikideskError):
    """The index is missing, stale or damaged; rebuilding it with `wikidesk index` fixes it."""

    status = 503
