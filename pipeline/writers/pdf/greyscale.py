"""Every colour of a PDF turned to grey on the K channel: what a black-and-white paperback needs.

WeasyPrint draws CSS colours as RGB (`rg`, or `sc` in an RGB space); a preflight for a black-and-white
interior flags "RGB used" and "text not 100 % K". This pass rewrites each content stream (pages, form
XObjects, tiling patterns) with pikepdf: an RGB colour becomes DeviceGray (`g`/`G`) of the same
lightness (ITU-R BT.601 weights, Pillow's own for "L"), so black stays exactly 0 = 100 % K, and RGB
images are converted by LittleCMS through Pillow's ImageCms from sRGB to a grey profile.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

GREY_PROFILE = Path("/usr/share/color/icc/Gray.icc")  # icc-profiles-free (zlib licence)
RGB_OPERATORS = {"rg": "g", "RG": "G"}
SET_SPACE = {"cs": False, "CS": True}  # the operator sets the fill (False) or stroke (True) space
SET_COLOUR = {"sc": False, "scn": False, "SC": True, "SCN": True}


def grey(red: float, green: float, blue: float) -> float:
    """The grey of an RGB colour: its BT.601 lightness, exact for a neutral one."""
    if red == green == blue:
        return float(red)
    return round(0.299 * red + 0.587 * green + 0.114 * blue, 4)


def is_rgb_space(space) -> bool:
    """Whether a PDF colour space object is DeviceRGB, CalRGB or an ICCBased space of three channels."""
    import pikepdf

    if isinstance(space, pikepdf.Name):
        return space in (pikepdf.Name.DeviceRGB, pikepdf.Name("/CalRGB"))
    if isinstance(space, pikepdf.Array) and len(space) >= 1:
        family = space[0]
        if family == pikepdf.Name.ICCBased:
            return int(space[1].get("/N", 0)) == 3
        if family == pikepdf.Name("/CalRGB"):
            return True
    return False


def greyscale_pdf(data: bytes) -> bytes:
    """`data` with every RGB colour and image turned to grey (see the module's docstring)."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        done: set = set()
        for page in pdf.pages:
            _greyscale_holder(pdf, page.obj, done)
            group = page.obj.get("/Group")
            if group is not None and is_rgb_space(group.get("/CS")):
                group.CS = pikepdf.Name.DeviceGray
        output = io.BytesIO()
        pdf.save(output, deterministic_id=True)
        return output.getvalue()


def _greyscale_holder(pdf, holder, done: set) -> None:
    """Rewrite the content of a page or form and of every form, pattern and image its resources hold."""
    import pikepdf

    resources = holder.get("/Resources", pikepdf.Dictionary())
    spaces = resources.get("/ColorSpace", pikepdf.Dictionary())
    for kind in ("/XObject", "/Pattern"):
        for item in resources.get(kind, pikepdf.Dictionary()).values():
            key = item.objgen
            if key in done or key == (0, 0):
                continue
            done.add(key)
            if item.get("/Subtype") == pikepdf.Name.Image:
                _greyscale_image(item)
            elif item.get("/Subtype") == pikepdf.Name.Form or item.get("/PatternType") == 1:
                _greyscale_holder(pdf, item, done)
                group = item.get("/Group")
                if group is not None and is_rgb_space(group.get("/CS")):
                    group.CS = pikepdf.Name.DeviceGray
    if isinstance(holder, pikepdf.Stream):
        holder.write(_greyscale_stream(holder, spaces))
    elif "/Contents" in holder:
        page = pikepdf.Page(holder)
        page.contents_coalesce()
        holder.Contents.write(_greyscale_stream(holder.Contents, spaces))
    for name, space in list(spaces.items()):
        if is_rgb_space(space):
            del spaces[name]


def _greyscale_stream(stream, spaces) -> bytes:
    """A content stream's instructions with RGB colours (and RGB colour spaces) set as DeviceGray."""
    import pikepdf

    rgb_now = {False: False, True: False}  # fill, stroke: is the current space (set by cs/CS) RGB?
    instructions = []
    for operands, operator in pikepdf.parse_content_stream(stream):
        name = str(operator)
        if name in RGB_OPERATORS and len(operands) == 3:
            instructions.append(([grey(*map(float, operands))], pikepdf.Operator(RGB_OPERATORS[name])))
            continue
        if name in SET_SPACE:
            space = spaces.get(str(operands[0]), operands[0]) if operands else None
            rgb_now[SET_SPACE[name]] = space is not None and is_rgb_space(space)
            if rgb_now[SET_SPACE[name]]:
                continue  # the g/G that follows sets DeviceGray and its colour at once
        elif name in SET_COLOUR and rgb_now[SET_COLOUR[name]] and len(operands) == 3:
            instructions.append(([grey(*map(float, operands))], pikepdf.Operator("G" if SET_COLOUR[name] else "g")))
            continue
        instructions.append((operands, operator))
    return pikepdf.unparse_content_stream(instructions)


def _greyscale_image(image) -> None:
    """An RGB image XObject converted to 8-bit grey by LittleCMS (sRGB to the grey profile)."""
    import pikepdf
    from PIL import ImageCms

    if not is_rgb_space(image.get("/ColorSpace")):
        return
    picture = pikepdf.PdfImage(image).as_pil_image().convert("RGB")
    transform = ImageCms.buildTransform(ImageCms.createProfile("sRGB"), ImageCms.getOpenProfile(str(GREY_PROFILE)),
                                        "RGB", "L")
    converted = ImageCms.applyTransform(picture, transform)
    image.write(zlib.compress(converted.tobytes()), filter=pikepdf.Name.FlateDecode)
    image.ColorSpace = pikepdf.Name.DeviceGray
    image.BitsPerComponent = 8
    for key in ("/DecodeParms", "/Decode"):
        if key in image:
            del image[key]
