"""`sirenkit view`: a local, read-only web page over run folders (deep zoom, audio, SDF slices, live curves)."""

from sirenkit.view.server import ViewServer

__all__ = ["ViewServer"]
