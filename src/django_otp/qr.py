"""QR codes for provisioning URLs, drawn by an optional library (``qrcode`` or ``segno``).

Neither library is a dependency of the core: the functions here import them when called and
raise :class:`ModuleNotFoundError` with installation advice when both are missing.
"""

from __future__ import annotations

import html
import itertools
from typing import Any, Protocol

__all__ = [
    "QUIET_ZONE",
    "Writable",
    "svg_qrcode",
    "svg_qrcode_element",
    "terminal_qrcode",
    "write_qrcode_image",
]


class Writable(Protocol):
    """Anything with a ``write`` method: a binary file, an ``HttpResponse``, ..."""

    def write(self, data: Any, /) -> Any: ...


_MISSING = (
    "Drawing QR codes needs the segno or the qrcode package: "
    "install django-otp-ng[qrcode] (or 'pip install segno')."
)


def _load_library() -> tuple[str, Any]:
    """Return ``("qrcode", module)`` if the qrcode package imports, else ``("segno", module)``."""
    try:
        import qrcode
        import qrcode.image.svg
    except ModuleNotFoundError:
        pass
    else:
        return "qrcode", qrcode
    try:
        import segno
    except ModuleNotFoundError:
        raise ModuleNotFoundError(_MISSING, name="segno") from None
    return "segno", segno


def write_qrcode_image(data: str, out: Writable) -> None:
    """Write an SVG image of a QR code holding ``data`` to the writable file-like ``out``."""
    name, library = _load_library()
    if name == "qrcode":
        library.make(data, image_factory=library.image.svg.SvgImage).save(out)
    else:
        library.make_qr(data).save(out, kind="svg")


#: Light modules around the code that readers need to find it (ISO/IEC 18004 asks for four).
QUIET_ZONE = 4


def _modules(data: str) -> list[list[bool]]:
    """Return the QR code of ``data`` as rows of modules, ``True`` for dark, without a border."""
    name, library = _load_library()
    if name == "qrcode":
        code = library.QRCode(border=0)
        code.add_data(data)
        code.make()
        return [[bool(module) for module in row] for row in code.modules]
    return [[bool(module) for module in row] for row in library.make_qr(data).matrix]


def terminal_qrcode(data: str) -> str:
    """Return a QR code holding ``data`` as text for a terminal with a dark background.

    Light modules and the quiet zone are drawn with block characters, two module rows per
    line, so the code scans on a dark screen. A light screen shows it inverted, which most
    readers refuse: write an image with :func:`svg_qrcode` for those.
    """
    modules = _modules(data)
    size = len(modules) + 2 * QUIET_ZONE

    def dark(row: int, column: int) -> bool:
        # Below the quiet zone (when ``size`` is odd) the half line stays unlit.
        if row >= size:
            return True
        row, column = row - QUIET_ZONE, column - QUIET_ZONE
        inside = 0 <= row < len(modules) and 0 <= column < len(modules)
        return inside and modules[row][column]

    blocks = {(False, False): "\u2588", (False, True): "\u2580", (True, False): "\u2584"}
    return "".join(
        "".join(
            blocks.get((dark(row, column), dark(row + 1, column)), " ") for column in range(size)
        )
        + "\n"
        for row in range(0, size, 2)
    )


def svg_qrcode(data: str, module_size: int = 8) -> str:
    """Return an SVG document of a QR code holding ``data``, dark on an opaque white square.

    The background and the quiet zone are part of the image, so the code scans whatever a
    viewer draws behind it (a dark theme, a checkerboard for transparency). ``module_size``
    is the width of one module in pixels; coordinates are whole pixels (no ``viewBox``), which
    simple renderers such as ImageMagick's draw correctly.
    """
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + _svg(data, module_size, "", "") + "\n"


def svg_qrcode_element(data: str, label: str, module_size: int = 6) -> str:
    """Return an ``<svg>`` element of the QR code of :func:`svg_qrcode`, for an HTML page.

    It is an image named ``label`` (``role="img"``, ``aria-label`` and ``<title>``) with a
    ``viewBox``, so a style sheet can scale it down on a narrow screen. It is inline markup,
    neither a script nor a ``data:`` URL, so a strict Content-Security-Policy allows it.
    """
    name = html.escape(label)
    return _svg(data, module_size, f' role="img" aria-label="{name}"', f"<title>{name}</title>")


def _svg(data: str, module_size: int, attributes: str, title: str) -> str:
    if module_size < 1:
        raise ValueError(f"module_size must be a positive number of pixels, not {module_size!r}")
    modules = _modules(data)
    pixels = (len(modules) + 2 * QUIET_ZONE) * module_size
    runs = []
    for y, row in enumerate(modules):
        top = (y + QUIET_ZONE) * module_size
        x = QUIET_ZONE
        for is_dark, group in itertools.groupby(row):
            count = len(list(group))
            if is_dark:
                width = count * module_size
                runs.append(f"M{x * module_size} {top}h{width}v{module_size}h-{width}z")
            x += count
    view_box = f' viewBox="0 0 {pixels} {pixels}"' if attributes else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{pixels}" height="{pixels}"{view_box} '
        f'shape-rendering="crispEdges"{attributes}>{title}'
        f'<rect width="{pixels}" height="{pixels}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )
