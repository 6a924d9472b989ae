"""QR codes drawn on the server as inline SVG: the page makes no image request and the CSP allows nothing new."""

from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(data: str, title: str) -> Markup:
    """``data`` as a QR code that scales with its box; ``title`` is its accessible name.

    segno writes only the modules' geometry and the escaped title, so the markup is safe to inline.
    """
    code = segno.make_qr(data, error="m")
    svg = code.svg_inline(
        scale=1, border=4, omitsize=True, svgclass="qr-code", lineclass=None, title=title, dark="#000", light="#fff"
    )
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704 (segno's own escaped output)
