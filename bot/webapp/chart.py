"""The balance chart, drawn on the server as SVG: no chart library, no CDN. The page inlines
it; every text in it is escaped here, and its colours come from the page's CSS (Telegram's
theme) through ``currentColor`` and classes."""

from __future__ import annotations

from html import escape

from ledger.wallet import DayBalance

WIDTH, HEIGHT = 320, 140
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 4, 4, 14, 18


def balance_svg(series: list[DayBalance], label: str, low: str, high: str, dates: str) -> str:
    """An area chart of ``series`` (oldest first). ``label`` is its accessible name; ``low``
    and ``high`` the formatted lowest and highest balances, ``dates`` the span's caption."""
    values = [point.balance for point in series] or [0]
    bottom, top = min(min(values), 0), max(max(values), 1)
    span = top - bottom or 1
    inner_w = WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    step = inner_w / max(len(values) - 1, 1)

    def y(value: int) -> float:
        return PAD_TOP + inner_h * (top - value) / span

    points = [(PAD_LEFT + i * step, y(v)) for i, v in enumerate(values)]
    line = " ".join(f"{x:.1f},{py:.1f}" for x, py in points)
    base = y(max(bottom, 0)) if bottom < 0 else PAD_TOP + inner_h
    area = f"{PAD_LEFT:.1f},{base:.1f} {line} {points[-1][0]:.1f},{base:.1f}"
    last_x, last_y = points[-1]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(label)}" class="chart" data-points="{len(values)}">'
        f"<title>{escape(label)}</title>"
        f'<polygon class="chart-area" points="{area}"/>'
        f'<polyline class="chart-line" fill="none" points="{line}"/>'
        f'<circle class="chart-dot" cx="{last_x:.1f}" cy="{last_y:.1f}" r="3"/>'
        f'<text class="chart-label" x="{PAD_LEFT}" y="10">{escape(high)}</text>'
        f'<text class="chart-label" x="{PAD_LEFT}" y="{HEIGHT - 4}">{escape(low)}</text>'
        f'<text class="chart-label" x="{WIDTH - PAD_RIGHT}" y="{HEIGHT - 4}" '
        f'text-anchor="end">{escape(dates)}</text>'
        "</svg>"
    )
