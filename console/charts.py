"""Charts as SVG geometry, computed here and drawn by templates/charts.html: no script, no CDN,
nothing the console's Content-Security-Policy would block. Each chart's viewBox is about as
wide as a phone (400 units), so at 390 px its text keeps its size and at 1280 px it scales up."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

WIDTH = 400
COLUMN_HEIGHT = 150
AXIS = 18          # room under the columns for their labels
TOP_PAD = 14       # room above the tallest column for its value
ROW = 24           # one row of a ranking
LABEL_WIDTH = 150  # a ranking's labels, left of the bars
VALUE_WIDTH = 70   # a ranking's values, right of the bars


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: str
    show_label: bool = True
    show_value: bool = True

    @property
    def middle(self) -> float:
        """Where the column's label goes: its middle, kept inside the chart so no text is cut off."""
        return min(max(self.x + self.width / 2, 16.0), WIDTH - 16.0)


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar]
    empty: bool


def columns(series: list[tuple[str, float]], value_text=str, label_every: int = 1) -> Chart:
    """Vertical columns for a series (label, value), left to right."""
    top = max((float(v) for _, v in series), default=0) or 1
    slot = WIDTH / max(1, len(series))
    usable = COLUMN_HEIGHT - AXIS - TOP_PAD
    bars = []
    for index, (label, value) in enumerate(series):
        height = usable * float(value) / top
        bars.append(Bar(x=index * slot + slot * 0.12, y=TOP_PAD + usable - height, width=slot * 0.76,
                        height=height, label=label, value=value_text(value),
                        show_label=(len(series) - 1 - index) % label_every == 0, show_value=bool(float(value))))
    return Chart(WIDTH, COLUMN_HEIGHT, bars, empty=not any(float(v) for _, v in series))


def ranking(rows: list[tuple[str, float]], value_text=str) -> Chart:
    """Horizontal bars, one row each (label, value), in the order given."""
    top = max((float(v) for _, v in rows), default=0) or 1
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = [Bar(x=LABEL_WIDTH, y=index * ROW + 4, width=max(1.0, room * float(value) / top), height=ROW - 8,
                label=_fit(label), value=value_text(value)) for index, (label, value) in enumerate(rows)]
    return Chart(WIDTH, max(ROW, len(rows) * ROW), bars, empty=not rows)


def money(value) -> str:
    """Whole currency units, short: 1,234 / 12.3k / 4.56M."""
    value = float(Decimal(value))
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.2f}M"
    if abs(value) >= 10_000:
        return f"{value / 1000:.1f}k"
    return f"{value:,.0f}"


def count(value) -> str:
    return f"{int(value):,}"


def _fit(label: str, chars: int = 22) -> str:
    return label if len(label) <= chars else label[: chars - 1] + "…"
