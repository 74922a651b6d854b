"""The bottom layer: errors (one exception hierarchy with exit codes) and the
formatting of numbers."""
