"""releaser: runs the release process of a Kubernetes core kit."""

__version__ = "0.1.0"
