"""QR codes for provisioning URLs, drawn by an optional library (``qrcode`` or ``segno``).

Neither library is a dependency of the core: the functions here import them when called and
raise :class:`ModuleNotFoundError` with installation advice when both are missing.
"""

from __future__ import annotations

import io
from typing import Any, Protocol

__all__ = ["Writable", "terminal_qrcode", "write_qrcode_image"]


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


def terminal_qrcode(data: str) -> str:
    """Return a QR code holding ``data`` as text for a terminal with a dark background.

    Light modules and the quiet zone are drawn with block characters, so the code scans on a
    dark screen.
    """
    name, library = _load_library()
    out = io.StringIO()
    if name == "qrcode":
        code = library.QRCode(border=4)
        code.add_data(data)
        code.print_ascii(out=out, invert=True)
        return out.getvalue().replace("\xa0", " ")
    else:
        library.make_qr(data).terminal(out=out, compact=True)
    return out.getvalue()
