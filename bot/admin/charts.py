"""Server-rendered SVG charts: no script, a title and description for screen readers, and
always a plain table beside them (the table is the accessible version)."""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, BAR, GAP, LABEL = 640, 28, 12, 110


def bar_chart(title: str, rows: list[tuple[str, int]], *, target: int | None = None) -> Markup:
    """Horizontal bars, one per (label, value); an optional target drawn as a line."""
    top = max([value for _, value in rows] + [target or 0, 1])
    scale = (WIDTH - LABEL - 80) / top
    height = len(rows) * (BAR + GAP) + GAP + (24 if target else 0)
    parts = [f'<svg role="img" aria-labelledby="chart-title chart-desc" width="100%" '
             f'viewBox="0 0 {WIDTH} {height}" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="chart-title">{escape(title)}</title>',
             f'<desc id="chart-desc">{escape(_describe(rows, target))}</desc>']
    for n, (label, value) in enumerate(rows):
        y = GAP + n * (BAR + GAP)
        width = max(1.0, value * scale)
        parts += [f'<text x="{LABEL - 8}" y="{y + BAR * 0.7}" text-anchor="end" '
                  f'font-size="15" fill="#1a1a1a">{escape(label)}</text>',
                  f'<rect x="{LABEL}" y="{y}" width="{width:.1f}" height="{BAR}" fill="#0b3d75"/>',
                  f'<text x="{LABEL + width + 6:.1f}" y="{y + BAR * 0.7}" font-size="15" '
                  f'fill="#1a1a1a">{value}</text>']
    if target:
        x = LABEL + target * scale
        parts += [f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 20}" stroke="#a00000" '
                  f'stroke-width="3" stroke-dasharray="6 4"/>',
                  f'<text x="{x - 4:.1f}" y="{height - 5}" text-anchor="end" font-size="15" '
                  f'fill="#a00000">目标 {target}</text>']
    parts.append("</svg>")
    return Markup("".join(parts))


def _describe(rows: list[tuple[str, int]], target: int | None) -> str:
    text = "；".join(f"{label} {value}" for label, value in rows) or "暂无数据"
    return text + (f"；目标 {target}" if target else "")
