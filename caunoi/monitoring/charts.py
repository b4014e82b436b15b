"""Charts drawn on the server as SVG, from the same rows as the table under them.

Why not a JavaScript chart library: Chartist (vendored until issue 11) writes ``style``
attributes into the SVG it builds (the root's size, every label's ``foreignObject``), which the
Content-Security-Policy (``style-src 'self'``) refuses — about 150 errors in the console per
dashboard — and no option of it turns them off. A column or bar chart of a dozen figures is a few
rectangles: drawn here they need no script, no inline style (geometry is SVG attributes, colours
come from ``dashboard.css``), weigh a few kilobytes instead of 47, appear without JavaScript and
in print, and cannot disagree with the table, since they are drawn from its rows.

Horizontal positions are percentages of the chart's width and vertical ones pixels, so text
keeps its size on a 360 px phone and on a 1366 px screen (a scaled ``viewBox`` would shrink it).
SVG coordinates are written with a '.' decimal whatever the language: they are for the browser.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from caunoi.monitoring.dashboards import Table
from caunoi.monitoring.figures import figure_text

# Column chart (a trend): value labels above the columns, the plot, month labels under it.
PLOT_TOP = 22
PLOT_HEIGHT = 150
LEFT = 7.0  # % of the width kept for the axis labels
RIGHT = 99.0
# Bar chart (a comparison): one band per place, its name above its bar.
BAND = 38
BAR = 14
BAR_SPACE = 82.0  # % of the width the longest bar takes; the rest holds its figure
MAX_BARS = 12


def _num(x: float) -> str:
    """An SVG coordinate (for the browser, not for people)."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


def nice_step(top: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about ``ticks`` gridlines."""
    if top <= 0:
        return 1
    raw = top / ticks
    power: float = 10 ** math.floor(
        math.log10(raw)
    )  # int ** int is typed Any (exponent may be < 0)
    for multiple in (1, 2, 5, 10):
        if raw <= multiple * power:
            return max(multiple * power, 1)
    return 10 * power


@dataclass
class Mark:
    key: str
    label: str
    value: float | None  # what is drawn; None when suppressed or empty
    text: str  # the figure as a person reads it
    suppressed: bool
    x: str = ""  # column: left edge; bar: always 0
    width: str = ""
    y: str = ""
    height: str = ""
    centre: str = ""  # column: middle, for its labels
    value_x: str = ""  # bar: where its figure is written
    label_y: str = ""
    value_y: str = ""
    minor: bool = False  # label left out on a narrow screen

    @property
    def data_value(self) -> str:
        return "" if self.value is None else repr(self.value)


@dataclass
class Tick:
    y: str
    text: str


@dataclass
class Chart:
    kind: str
    key: str
    title: str
    indicator: str
    by: str
    height: int
    marks: list[Mark]
    ticks: list[Tick] = field(default_factory=list)
    baseline: str = ""
    left: str = _num(LEFT)
    right: str = _num(RIGHT)
    more: int = 0  # rows of the table not drawn (bar charts draw the largest MAX_BARS)
    total: int = 0


def _marks(table: Table) -> list[Mark]:
    marks = []
    for row in table.rows:
        figure = row.figures[0]
        marks.append(
            Mark(
                key=row.key,
                label=row.label,
                value=figure.drawn,
                text=figure.text,
                suppressed=figure.suppressed,
            )
        )
    return marks


def columns(table: Table) -> Chart:
    marks = _marks(table)
    unit = table.columns[0].unit
    top_value = max((m.value or 0 for m in marks), default=0)
    step = nice_step(top_value)
    top = step * max(1, math.ceil(top_value / step))
    baseline = PLOT_TOP + PLOT_HEIGHT
    slot = (RIGHT - LEFT) / max(1, len(marks))
    # On a phone, every third label (always the last month's) is written.
    last = len(marks) - 1
    for n, m in enumerate(marks):
        height = (m.value or 0) / top * PLOT_HEIGHT
        m.x = _num(LEFT + n * slot + 0.15 * slot)
        m.width = _num(0.7 * slot)
        m.y = _num(baseline - height)
        m.height = _num(height)
        m.centre = _num(LEFT + (n + 0.5) * slot)
        m.value_y = _num(baseline - height - 5)
        m.label_y = _num(baseline + 18)
        m.minor = (last - n) % 3 != 0
    ticks = []
    value = 0.0
    while value <= top + 1e-9:
        ticks.append(Tick(_num(baseline - value / top * PLOT_HEIGHT), figure_text(value, unit)))
        value += step
    return Chart(
        "columns",
        table.key,
        table.title,
        table.indicator,
        table.by,
        baseline + 28,
        marks,
        ticks,
        _num(baseline),
    )


def bars(table: Table) -> Chart:
    marks = _marks(table)
    drawn, more = marks[:MAX_BARS], max(0, len(marks) - MAX_BARS)
    top = max((m.value or 0 for m in marks), default=0) or 1
    for n, m in enumerate(drawn):
        length = (m.value or 0) / top * BAR_SPACE
        m.x = "0"
        m.width = _num(length)
        m.label_y = _num(n * BAND + 13)
        m.y = _num(n * BAND + 19)
        m.height = _num(BAR)
        m.value_x = _num(length + 1)
        m.value_y = _num(n * BAND + 19 + BAR - 2)
    return Chart(
        "bars",
        table.key,
        table.title,
        table.indicator,
        table.by,
        max(1, len(drawn)) * BAND + 4,
        drawn,
        more=more,
        total=len(marks),
    )


def chart_for(table: Table) -> Chart | None:
    """The chart of a table, if it has one and something to draw: a comparison whose every
    place is suppressed would be a list of names and dots (the table says it as well)."""
    if not table.rows or not table.chart:
        return None
    if table.chart == "columns":
        return columns(table)
    if not any(row.figures[0].drawn for row in table.rows):
        return None
    return bars(table)
