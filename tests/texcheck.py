"""Compile LaTeX fragments with pdflatex in one run, and read back the characters TeX typeset.

The text is read from the boxes TeX ships out (``\\tracingoutput``), not from our own .tex: each
glyph in the log is a font and a slot, the slot is named by the font's own Type 1 encoding
vector (the .pfb files TeX uses), and the name is read as a character the way PDF text
extraction does (the Adobe glyph list). So an en dash made of ``--`` reads as "–", an OT1
``<`` as "¡", a missing glyph as nothing at all.

Compiles run with ``-no-mktex=pk`` and an empty TEXMFVAR: a glyph from a font that exists only
as METAFONT source (T1, TS1 without cm-super) is an error here, as it is on a machine that
has only texlive-latex-base, instead of a bitmap font quietly generated into the home folder.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path
from typing import NamedTuple

import pytest

PREAMBLE = "\\documentclass{article}\n\\usepackage{amsmath}\n"
TRACING = "\\showboxdepth=100000 \\showboxbreadth=100000000 \\tracingoutput=1 \\tracingonline=0\n"


def pdflatex() -> str:
    """The pdflatex binary; the test is skipped where it is missing, unless CI requires it."""
    path = shutil.which("pdflatex")
    if path is None:
        if os.environ.get("GRADCLI_REQUIRE_LATEX"):
            pytest.fail("pdflatex is required here (GRADCLI_REQUIRE_LATEX is set) but is not installed")
        pytest.skip("pdflatex is not installed (CI installs it and sets GRADCLI_REQUIRE_LATEX)")
    return path


class Compiled(NamedTuple):
    ok: bool
    log: str
    pages: int
    failed_in: str | None  # the label of the fragment TeX was reading when it stopped

    @property
    def errors(self) -> str:
        lines = self.log.splitlines()
        hits = [n for n, line in enumerate(lines) if line.startswith("!")]
        return "\n".join("\n".join(lines[n:n + 6]) for n in hits[:3]) or self.log[-1500:]

    def report(self) -> str:
        return f"pdflatex failed in fragment {self.failed_in!r}:\n{self.errors}"


def compile_fragments(fragments: list[tuple[str, str]], where: Path, preamble: str = "", body_start: str = "",
                      trace: bool = False) -> Compiled:
    """One document, one pdflatex run: each fragment announced in the log by its label."""
    binary = pdflatex()
    parts = [PREAMBLE, preamble, "\\begin{document}\n", TRACING if trace else "", body_start]
    for label, text in fragments:
        safe = re.sub(r"[^A-Za-z0-9 .,:=+-]", "?", label)
        parts += [f"\\typeout{{gradcli-fragment: {safe}}}\n", text, "\n\\par\n"]
    parts.append("\\end{document}\n")
    where.mkdir(parents=True, exist_ok=True)
    (where / "doc.tex").write_bytes("".join(parts).encode("utf-8"))
    # a private TEXMFVAR: no font generated earlier into the home folder is found; long log lines unwrapped
    env = dict(os.environ, TEXMFVAR=str(where / "texmf-var"), max_print_line="100000")
    proc = subprocess.run([binary, "-no-mktex=pk", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=where, capture_output=True, env=env, timeout=120)
    log_file = where / "doc.log"
    log = log_file.read_bytes().decode("latin-1") if log_file.exists() else proc.stdout.decode("latin-1")
    labels = re.findall(r"^gradcli-fragment: (.*)$", log, re.M)
    m = re.search(r"Output written on doc\.pdf \((\d+) pages?", log)
    ok = proc.returncode == 0 and m is not None
    return Compiled(ok, log, int(m.group(1)) if m else 0, labels[-1] if labels and not ok else None)


# --- reading the shipped-out boxes -------------------------------------------------------------------

# NFSS family/series/shape -> the Computer Modern font whose encoding vector names the slots
_FONTS = {
    ("OT1", "cmr", "m", "n"): "cmr10", ("OT1", "cmr", "bx", "n"): "cmbx10", ("OT1", "cmr", "m", "it"): "cmti10",
    ("OT1", "cmr", "bx", "it"): "cmbxti10", ("OT1", "cmr", "m", "sl"): "cmsl10", ("OT1", "cmr", "bx", "sl"): "cmbxsl10",
    ("OT1", "cmtt", "m", "n"): "cmtt10", ("OT1", "cmtt", "m", "it"): "cmitt10", ("OT1", "cmtt", "m", "sl"): "cmsltt10",
    ("OML", "cmm", "m", "it"): "cmmi10", ("OML", "cmm", "b", "it"): "cmmib10",
    ("OMS", "cmsy", "m", "n"): "cmsy10", ("OMS", "cmsy", "b", "n"): "cmbsy10", ("OMX", "cmex", "m", "n"): "cmex10",
}

_ASCII_NAMES = (
    "space exclam quotedbl numbersign dollar percent ampersand quotesingle parenleft parenright asterisk plus "
    "comma hyphen period slash zero one two three four five six seven eight nine colon semicolon less equal "
    "greater question at A B C D E F G H I J K L M N O P Q R S T U V W X Y Z bracketleft backslash bracketright "
    "asciicircum underscore grave a b c d e f g h i j k l m n o p q r s t u v w x y z braceleft bar braceright "
    "asciitilde").split()
# glyph names as the Adobe glyph list reads them; a name missing here reads as ⟨name⟩
GLYPHS: dict[str, str] = {name: chr(32 + n) for n, name in enumerate(_ASCII_NAMES)}
GLYPHS.update({
    "ff": "ff", "fi": "fi", "fl": "fl", "ffi": "ffi", "ffl": "ffl", "quoteright": "’", "quoteleft": "‘",
    "quotedblright": "”", "quotedblleft": "“", "endash": "–", "emdash": "—", "exclamdown": "¡",
    "questiondown": "¿", "dotlessi": "ı", "dotlessj": "ȷ", "germandbls": "ß", "ae": "æ", "oe": "œ", "oslash": "ø",
    "AE": "Æ", "OE": "Œ", "Oslash": "Ø", "periodcentered": "·", "multiply": "×", "minus": "−", "partialdiff": "∂",
    "gradient": "∇", "nabla": "∇", "plusminus": "±", "ellipsis": "…", "infinity": "∞", "prime": "′", "arrowright": "→",
    "lessequal": "≤", "greaterequal": "≥", "approxequal": "≈", "notequal": "≠", "radical": "√",
    "acute": "´", "grave": "`", "circumflex": "ˆ", "tilde": "˜", "dieresis": "¨", "macron": "¯", "breve": "˘",
    "dotaccent": "˙", "ring": "˚", "caron": "ˇ", "hungarumlaut": "˝", "cedilla": "¸",
})
_GREEK = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau "
          "upsilon phi chi psi omega").split()
GLYPHS.update({g: unicodedata.lookup(f"GREEK SMALL LETTER {g.upper().replace('LAMBDA', 'LAMDA')}") for g in _GREEK})
GLYPHS.update({g.capitalize(): unicodedata.lookup(f"GREEK CAPITAL LETTER {g.upper().replace('LAMBDA', 'LAMDA')}")
               for g in _GREEK})
GLYPHS.update({"theta1": "ϑ", "phi1": "ϕ", "omega1": "ϖ", "sigma1": "ς", "rho1": "ϱ"})


@functools.cache
def _encoding(font: str) -> dict[int, str]:
    """Slot -> glyph name, from the font's Type 1 encoding vector."""
    path = subprocess.run(["kpsewhich", f"{font}.pfb"], capture_output=True, text=True).stdout.strip()
    assert path, f"{font}.pfb not found"
    head = Path(path).read_bytes()[:30000].decode("latin-1")
    return {int(slot): name for slot, name in re.findall(r"dup (\d+) */(\S+) put", head)}


_GLYPH_LINE = re.compile(r"^(?:\\accent)?\\(\w+)/([^/ ]+)/([^/ ]+)/([^/ ]+)/\S+ (.*)$")
_SPACE = re.compile(r"^\\glue (?!0\.0\b)[0-9.]+(?: plus [0-9.]+(?: minus [0-9.]+)?)?$")  # an interword space


def _slot(rest: str) -> int:
    """The log's notation for a character: 'a', '^^M' (13), '^^?' (127), '^^e9' (233)."""
    if rest.startswith("^^") and re.match(r"[0-9a-f]{2}", rest[2:4]):
        return int(rest[2:4], 16)
    if rest.startswith("^^") and len(rest) >= 3:
        c = ord(rest[2])
        return c - 64 if c >= 64 else c + 64
    return ord(rest[0])


# NFSS's substitutions, as the log reports them: the font TeX really used for a shape that does not exist
_SUBSTITUTED = re.compile(r"Font shape `([^']+)' (?:undefined|in size <[^>]*> not available)\s*\(Font\)\s*"
                          r"(?:using|Font shape) `([^']+)'")


def _glyph(enc: str, family: str, series: str, shape: str, rest: str, subs: dict[str, str]) -> str:
    key = (enc, family, series, shape)
    if key not in _FONTS and "/".join(key) in subs:
        key = tuple(subs["/".join(key)].split("/"))  # type: ignore[assignment]
    if key not in _FONTS:
        return f"⟨font {'/'.join(key)}⟩"
    name = _encoding(_FONTS[key]).get(_slot(rest), f"slot {rest}")
    return GLYPHS.get(name, f"⟨{name}⟩")


def shipped_pages(log: str) -> list[str]:
    """The text of each shipped-out page: glyphs in order, interword glue as a space, a visible rule as \\x1e.

    Material on the unused side of a discretionary (a hyphen that was not taken) is skipped.
    """
    subs = dict(_SUBSTITUTED.findall(log))
    pages: list[str] = []
    out: list[str] | None = None
    skip_below = None  # the depth of a \\discretionary whose lists we are skipping
    for line in log.splitlines():
        if line.startswith("Completed box being shipped out"):
            if out is not None:
                pages.append("".join(out))
            out = []
            continue
        if out is None:
            continue
        depth = len(line) - len(line.lstrip(".|"))
        if skip_below is not None:
            if depth > skip_below:
                continue
            skip_below = None
        body = line[depth:]
        if body.startswith("\\discretionary"):
            skip_below = depth
        elif body.startswith("\\rule") and not body.endswith(")x0.0"):  # struts have no width
            out.append("\x1e")
        elif _SPACE.match(body):
            out.append(" ")
        else:
            m = _GLYPH_LINE.match(body)
            if m:
                out.append(_glyph(*m.groups(), subs))
    if out is not None:
        pages.append("".join(out))
    return pages


def plain(text: str) -> str:
    """Text as compared: compatibility forms folded (… is ..., ﬀ is ff), runs of spaces one space."""
    return " ".join(unicodedata.normalize("NFKC", text).split())
