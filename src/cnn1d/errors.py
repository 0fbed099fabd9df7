"""One exception family, raised where input is validated.

The CLI prints the message of any :class:`Cnn1dError` on one line and exits non-zero, so every message
should name the file or argument at fault and say what to do about it.
"""


class Cnn1dError(Exception):
    """Base class of every error cnn1d raises on purpose."""


class DataError(Cnn1dError, ValueError):
    """Input data is missing, malformed or inconsistent with what a model expects."""


class ConfigError(Cnn1dError, ValueError):
    """A setting (flag, keyword argument, config file entry) has an invalid value."""


class BundleError(Cnn1dError):
    """A saved model bundle cannot be read: corrupt, truncated, or written by a newer cnn1d."""


class NotFittedError(Cnn1dError, AttributeError):
    """An estimator was used before `fit`."""
