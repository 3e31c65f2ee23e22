"""Server-rendered pages (HTML, and feeds), each module with its own ``router``."""
