"""The billing page's spending chart, drawn as SVG on the server.

Bars are the amount spent per day. Days with a top-up carry a triangle under
the axis, so the two series differ by shape as well as by colour. The SVG is
built with ElementTree, which escapes every text and attribute value.
"""

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from babel.dates import format_date

from prepay.ledger.spending import DayTotals
from prepay.money import Money

WIDTH = 720
HEIGHT = 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 72, 12, 36, 52
_PLOT_WIDTH = WIDTH - _LEFT - _RIGHT
_PLOT_HEIGHT = HEIGHT - _TOP - _BOTTOM
_BAR_SHARE = 0.7
_INK = "#1a1a1a"
_GRID = "#b8b8b8"
_BAR = "#2c5c8f"
_TOP_UP = "#a14d00"
_NANOS_PER_UNIT = 1_000_000_000


# Axis tops in tenths of a power of ten, so the tallest bar fills at least
# 60% of the plot: 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 and 8 times 10^n.
_AXIS_STEPS = (10, 12, 15, 20, 25, 30, 40, 50, 60, 80)


def axis_top(max_nanos: int) -> int:
    """Round the largest bar up to the next axis step, in nanos."""
    if max_nanos <= 0:
        return _NANOS_PER_UNIT
    power: int = 10 ** len(str(max_nanos))
    for step in _AXIS_STEPS:
        top = step * power // 100
        if top >= max_nanos:
            return top
    return power


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _add(
    parent: ET.Element, tag: str, text: str | None = None, **attrs: str
) -> ET.Element:
    element = ET.SubElement(
        parent, tag, {k.replace("_", "-"): v for k, v in attrs.items()}
    )
    if text is not None:
        element.text = text
    return element


def _grid(svg: ET.Element, top: int, currency: str, locale: str) -> None:
    for share, nanos in ((0.0, 0), (0.5, top // 2), (1.0, top)):
        y = _TOP + _PLOT_HEIGHT * (1 - share)
        label = Money(currency, nanos).format(locale)
        _add(
            svg,
            "line",
            x1=str(_LEFT),
            x2=str(WIDTH - _RIGHT),
            y1=_number(y),
            y2=_number(y),
            stroke=_GRID,
            stroke_width="1",
        )
        _add(svg, "text", label, x=str(_LEFT - 6), y=_number(y + 4), text_anchor="end")


def _legend(svg: ET.Element) -> None:
    _add(svg, "rect", x=str(_LEFT), y="10", width="12", height="12", fill=_BAR)
    _add(svg, "text", "Spent per day", x=str(_LEFT + 18), y="20")
    x = _LEFT + 140
    _add(
        svg,
        "path",
        d=f"M{x} 22 L{x + 7} 10 L{x + 14} 22 Z",
        fill="#ffffff",
        stroke=_TOP_UP,
        stroke_width="2",
    )
    _add(svg, "text", "Day with a top-up", x=str(x + 20), y="20")


def _day(
    svg: ET.Element,
    index: int,
    slot: float,
    day: DayTotals,
    top: int,
    currency: str,
    locale: str,
) -> None:
    center = _LEFT + slot * (index + 0.5)
    base = _TOP + _PLOT_HEIGHT
    label = format_date(day.day, "MMM d", locale=locale)
    if day.spent_nanos > 0:
        height = max(_PLOT_HEIGHT * day.spent_nanos / top, 1.0)
        bar = _add(
            svg,
            "rect",
            x=_number(center - slot * _BAR_SHARE / 2),
            y=_number(base - height),
            width=_number(slot * _BAR_SHARE),
            height=_number(height),
            fill=_BAR,
        )
        spent = Money(currency, day.spent_nanos).format(locale)
        _add(bar, "title", f"{label}: {spent} spent")
    if day.top_ups:
        marker = _add(
            svg,
            "path",
            fill="#ffffff",
            stroke=_TOP_UP,
            stroke_width="2",
            d=f"M{_number(center - 6)} {base + 18} L{_number(center)} "
            f"{base + 6} L{_number(center + 6)} {base + 18} Z",
        )
        added = Money(currency, day.added_nanos).format(locale)
        _add(marker, "title", f"{label}: {added} added")


def _x_labels(
    svg: ET.Element, slot: float, days: Sequence[DayTotals], locale: str
) -> None:
    last = len(days) - 1
    for index, day in enumerate(days):
        if (last - index) % 7 != 0:
            continue
        center = _LEFT + slot * (index + 0.5)
        _add(
            svg,
            "text",
            format_date(day.day, "MMM d", locale=locale),
            x=_number(center),
            y=str(HEIGHT - 10),
            text_anchor="middle",
        )


def render_chart(days: Sequence[DayTotals], currency: str, locale: str) -> str:
    """Return the chart of ``days`` (oldest first) as an SVG document."""
    top = axis_top(max((day.spent_nanos for day in days), default=0))
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {WIDTH} {HEIGHT}",
            "width": str(WIDTH),
            "height": str(HEIGHT),
            "role": "img",
            "aria-labelledby": "chart-title",
            "font-family": "system-ui, sans-serif",
            "font-size": "12",
            "fill": _INK,
        },
    )
    _add(
        svg,
        "title",
        f"Spending per day over the last {len(days)} days",
        id="chart-title",
    )
    _add(
        svg, "rect", x="0", y="0", width=str(WIDTH), height=str(HEIGHT), fill="#ffffff"
    )
    _legend(svg)
    _grid(svg, top, currency, locale)
    slot = _PLOT_WIDTH / max(len(days), 1)
    for index, day in enumerate(days):
        _day(svg, index, slot, day, top, currency, locale)
    _x_labels(svg, slot, days, locale)
    return ET.tostring(svg, encoding="unicode")
