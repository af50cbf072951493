"""Small immutable result types returned by the edge runtime."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in the coordinates of the image the caller passed in (pixels)."""

    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height


@dataclass(frozen=True)
class Prediction:
    """The classification of one digit.

    ``digit`` is None when no digit was found or the confidence was below the
    threshold; ``reason`` then says why. ``probabilities`` has ten floats
    summing to ~1 (empty when nothing reached the model). ``inference_ms`` is
    the interpreter time alone; ``box`` locates the digit in the input image.
    """

    digit: int | None
    confidence: float
    probabilities: tuple[float, ...] = ()
    inference_ms: float = 0.0
    box: Box | None = None
    reason: str | None = None

    @property
    def found(self) -> bool:
        """True when a digit was recognised."""
        return self.digit is not None

    @property
    def label(self) -> str:
        """The digit as text, or ``"-"`` when there is none."""
        return "-" if self.digit is None else str(self.digit)


@dataclass(frozen=True)
class NumberReading:
    """Several digits read left to right from one image (e.g. ``"2026"``; leading zeros kept).

    ``box`` holds the whole number; ``reason`` says why nothing was read.
    """

    digits: tuple[Prediction, ...] = field(default_factory=tuple)
    reason: str | None = None
    box: Box | None = None

    @property
    def text(self) -> str:
        """The recognised digits as a string; ``"?"`` marks a digit below the threshold."""
        return "".join("?" if p.digit is None else str(p.digit) for p in self.digits)

    @property
    def found(self) -> bool:
        return any(p.found for p in self.digits)

    @property
    def confidence(self) -> float:
        """The weakest digit's confidence (0.0 when nothing was found)."""
        return min((p.confidence for p in self.digits), default=0.0)


@dataclass(frozen=True)
class Rejected:
    """A blob of ink that was not read as a digit, and why (e.g. "straight line (…)")."""

    box: Box
    reason: str
