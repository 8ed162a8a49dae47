"""The typeface of the PDF documents: embedded TrueType, never a PDF base-14 font.

PDF/A (ISO 19005-3, 6.2.11.4) wants every font program embedded, the base-14 Helvetica too,
so the documents use a TrueType family ReportLab embeds as a subset: DejaVu Sans from Debian's
``fonts-dejavu-core`` where the machine has it (wide Latin, Greek and Cyrillic coverage), else
Bitstream Vera, which ships inside the ReportLab package (DejaVu's Latin-1 ancestor), so a
machine without Debian's fonts still renders.

A character the family has no glyph for would print as an empty box: a document that says
something other than the invoice. ``check_glyphs`` refuses such text instead.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from hourbridge.errors import Conflict

DEBIAN_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
REPORTLAB_FONTS = Path(reportlab.__file__).parent / "fonts"
# (regular, bold) files of each family, in order of preference
FAMILIES = (
    (DEBIAN_DEJAVU / "DejaVuSans.ttf", DEBIAN_DEJAVU / "DejaVuSans-Bold.ttf"),
    (REPORTLAB_FONTS / "Vera.ttf", REPORTLAB_FONTS / "VeraBd.ttf"),
)
REGULAR = "Hourbridge-Sans"
BOLD = "Hourbridge-Sans-Bold"


@dataclass(frozen=True, slots=True)
class Family:
    regular: str
    bold: str
    source: Path  # the regular face's file, for reports and tests


@functools.cache
def family() -> Family:
    """Register the first family whose files exist (once per process) and name its faces."""
    for regular, bold in FAMILIES:
        if regular.is_file() and bold.is_file():
            pdfmetrics.registerFont(TTFont(REGULAR, str(regular)))
            pdfmetrics.registerFont(TTFont(BOLD, str(bold)))
            pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD,
                                          italic=REGULAR, boldItalic=BOLD)
            return Family(REGULAR, BOLD, regular)
    raise Conflict("no TrueType font to embed in a PDF: neither Debian's fonts-dejavu-core "
                   "nor ReportLab's own Vera fonts were found", "document_not_rendered")


def check_glyphs(text: str, what: str) -> None:
    """Refuse ``text`` if the typeface cannot draw one of its characters (see the module)."""
    face = pdfmetrics.getFont(family().regular).face
    known = face.charToGlyph
    missing = sorted({ch for ch in text if ch.isprintable() and not ch.isspace()
                      and ord(ch) not in known})
    if missing:
        shown = ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in missing)
        raise Conflict(f"{what}: the document's typeface has no glyph for {shown}; the PDF "
                       "would not show the text as issued", "document_not_rendered")
