"""`cnn1d serve`: models over HTTP (see :mod:`cnn1d.serve.app`)."""
