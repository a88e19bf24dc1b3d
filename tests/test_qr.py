"""Tests of django_otp.qr: SVG QR codes for the admin and text QR codes for a terminal."""

import io
import re
import shutil
import subprocess
import sys
import types
import xml.etree.ElementTree as ET
from unittest import mock

import pytest
import segno
from django.http import HttpResponse

from django_otp.qr import svg_qrcode, svg_qrcode_element, terminal_qrcode, write_qrcode_image

URL = "otpauth://totp/alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA1&digits=6"
NO_LIBRARY = {"qrcode": None, "segno": None}


def svg_root(data):
    return ET.fromstring(data)  # noqa: S314 (our own output)


def test_writes_svg_to_a_binary_file():
    out = io.BytesIO()
    write_qrcode_image(URL, out)
    assert svg_root(out.getvalue()).tag == "{http://www.w3.org/2000/svg}svg"


def test_writes_svg_to_an_http_response():
    response = HttpResponse(content_type="image/svg+xml")
    write_qrcode_image(URL, response)
    assert svg_root(response.content).tag == "{http://www.w3.org/2000/svg}svg"


def test_segno_draws_a_full_qr_code_of_the_data():
    # Even for short data a regular QR code (version 1: 21 modules plus a 4-module quiet
    # zone on each side), never a Micro QR code that authenticator apps cannot read.
    out = io.BytesIO()
    with mock.patch.dict(sys.modules, {"qrcode": None}):
        write_qrcode_image("x", out)
    root = svg_root(out.getvalue())
    assert (root.get("width"), root.get("height")) == ("29", "29")
    expected = io.BytesIO()
    segno.make_qr("x").save(expected, kind="svg")
    assert out.getvalue() == expected.getvalue()


def test_different_data_gives_different_images():
    first, second = io.BytesIO(), io.BytesIO()
    write_qrcode_image(URL, first)
    write_qrcode_image(URL + "&counter=1", second)
    assert first.getvalue() != second.getvalue()


def fake_qrcode_package(calls):
    """Modules that stand in for the qrcode package and record how they are used."""
    package = types.ModuleType("qrcode")
    image = types.ModuleType("qrcode.image")
    svg = types.ModuleType("qrcode.image.svg")
    svg.SvgImage = object()

    class Image:
        def __init__(self, data, image_factory):
            calls.append((data, image_factory))

        def save(self, out):
            out.write(b"<svg from qrcode/>")

    package.make = Image
    package.image = image
    image.svg = svg
    return {"qrcode": package, "qrcode.image": image, "qrcode.image.svg": svg}


def test_qrcode_package_is_preferred_when_installed():
    calls = []
    modules = fake_qrcode_package(calls)
    out = io.BytesIO()
    with mock.patch.dict(sys.modules, modules):
        write_qrcode_image(URL, out)
    assert out.getvalue() == b"<svg from qrcode/>"
    assert calls == [(URL, modules["qrcode.image.svg"].SvgImage)]


def test_no_library_raises_module_not_found_with_advice():
    with mock.patch.dict(sys.modules, NO_LIBRARY), pytest.raises(ModuleNotFoundError) as error:
        write_qrcode_image(URL, io.BytesIO())
    assert "django-otp-ng[qrcode]" in str(error.value)


def expected_terminal_text(matrix, border=4):
    """Draw ``matrix`` as ``terminal_qrcode`` should: two module rows per line of text, light
    modules (and the quiet zone) as blocks, the rows below the quiet zone dark."""
    size = len(matrix)
    total = size + 2 * border

    def dark(row, column):
        if row >= total:
            return True
        row, column = row - border, column - border
        return 0 <= row < size and 0 <= column < size and bool(matrix[row][column])

    chars = {(False, False): "█", (True, False): "▄", (False, True): "▀", (True, True): " "}
    return "".join(
        "".join(chars[dark(row, column), dark(row + 1, column)] for column in range(total)) + "\n"
        for row in range(0, total, 2)
    )


def test_terminal_qrcode_with_segno():
    with mock.patch.dict(sys.modules, {"qrcode": None}):
        text = terminal_qrcode(URL)
    assert text == expected_terminal_text(segno.make_qr(URL).matrix)


def test_terminal_qrcode_with_the_qrcode_package():
    qrcode = pytest.importorskip("qrcode")
    code = qrcode.QRCode()
    code.add_data(URL)
    code.make()
    assert terminal_qrcode(URL) == expected_terminal_text(code.modules)


def test_terminal_qrcode_without_a_library():
    with mock.patch.dict(sys.modules, NO_LIBRARY), pytest.raises(ModuleNotFoundError):
        terminal_qrcode(URL)


RUN = re.compile(r"M(\d+) (\d+)h(\d+)v(\d+)h-(\d+)z")
BACKENDS = pytest.mark.parametrize("backend", ["qrcode", "segno"])


def _with_backend(backend, function, *args):
    """Call ``function`` with the qrcode package hidden when ``backend`` is segno."""
    if backend == "qrcode":
        pytest.importorskip("qrcode")
        return function(*args)
    with mock.patch.dict(sys.modules, {"qrcode": None}):
        return function(*args)


def _matrix(backend, data):
    if backend == "segno":
        return [list(map(bool, row)) for row in segno.make_qr(data).matrix]
    import qrcode

    code = qrcode.QRCode()
    code.add_data(data)
    code.make()
    return [list(map(bool, row)) for row in code.modules]


@BACKENDS
def test_svg_qrcode_draws_every_module_on_an_opaque_white_square(backend):
    root = svg_root(_with_backend(backend, svg_qrcode, URL, 3))
    matrix = _matrix(backend, URL)
    pixels = (len(matrix) + 8) * 3
    assert (root.get("width"), root.get("height")) == (str(pixels), str(pixels))
    background, path = list(root)
    assert background.tag.endswith("rect")
    assert (background.get("width"), background.get("height")) == (str(pixels), str(pixels))
    assert background.get("fill") == "#fff"
    assert path.get("fill") == "#000"
    drawn = set()
    for left, top, width, height, back in RUN.findall(path.get("d")):
        left, top, width, height = int(left), int(top), int(width), int(height)
        assert width == int(back) and height == 3 and left % 3 == 0 and top % 3 == 0
        drawn.update((top // 3, left // 3 + step) for step in range(width // 3))
    assert RUN.sub("", path.get("d")) == ""  # nothing but runs
    expected = {
        (row + 4, column + 4)
        for row, cells in enumerate(matrix)
        for column, dark in enumerate(cells)
        if dark
    }
    assert drawn == expected


@BACKENDS
def test_svg_qrcode_scans_with_zbar(backend, tmp_path):
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        pytest.skip("zbarimg is not installed (Debian: apt-get install zbar-tools)")
    image = tmp_path / "code.svg"
    image.write_text(_with_backend(backend, svg_qrcode, URL))
    result = subprocess.run(
        [zbarimg, "--raw", "-q", str(image)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == URL


def test_the_inline_element_is_a_named_scalable_image_of_the_same_code():
    element = svg_qrcode_element(URL, 'Scan "this" <code>', 3)
    assert not element.startswith("<?xml")
    root = svg_root(element)
    document = svg_root(svg_qrcode(URL, 3))
    assert root.get("role") == "img"
    assert root.get("aria-label") == 'Scan "this" <code>'
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    title, _background, path = list(root)
    assert title.tag.endswith("title") and title.text == 'Scan "this" <code>'
    assert path.get("d") == list(document)[1].get("d")
    assert "viewBox" not in svg_qrcode(URL)


def test_svg_qrcode_refuses_an_empty_module():
    with pytest.raises(ValueError, match="module_size"):
        svg_qrcode(URL, 0)


def test_svg_qrcode_without_a_library():
    with mock.patch.dict(sys.modules, NO_LIBRARY), pytest.raises(ModuleNotFoundError):
        svg_qrcode(URL)
