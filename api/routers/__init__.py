"""One router per resource; the app factory includes them all."""

__all__: list[str] = []
