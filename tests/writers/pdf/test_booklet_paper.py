"""Booklets that fold: a sheet an office printer takes, creep bounded by the inner margin, balanced gatherings."""

from __future__ import annotations

from pipeline.writers.pdf.impose import deepest_sheet, signature_sizes
from tests.conftest import FIXTURES, run_chapbook


def test_a_trim_with_no_office_sheet_is_refused_naming_those_that_impose(tmp_path):
    result = run_chapbook("build", "-f", "booklet", "--paper", "6x9", "-o", str(tmp_path),
                          str(FIXTURES / "sections.md"))
    assert result.returncode == 1 and result.stderr.strip().count("\n") == 0
    assert "12 x 9 in" in result.stderr and "a5 (on A4)" in result.stderr and "half-letter (on letter)" in result.stderr


def test_a_creep_that_pushes_text_past_the_fold_is_refused_with_the_largest_that_fits(tmp_path):
    source = tmp_path / "creep.md"
    source.write_text("---\ntitle: creep\ncreep: 1000mm\n---\n\n" + "\n\n".join(f"## part {n}\n\n" + "words " * 300
                                                                             for n in range(12)), encoding="utf-8")
    result = run_chapbook("build", "-f", "booklet", "-f", "pdf", "-o", str(tmp_path / "out"), str(source))
    assert result.returncode == 1 and result.stderr.strip().count("\n") == 0, result.stderr
    assert "setting 'creep' of 1000mm" in result.stderr and "use at most creep = " in result.stderr
    largest = result.stderr.split('use at most creep = "')[1].split('"')[0]
    source.write_text(source.read_text(encoding="utf-8").replace("1000mm", largest), encoding="utf-8")
    again = run_chapbook("build", "-f", "booklet", "-o", str(tmp_path / "out"), str(source))
    assert again.returncode == 0, again.stderr


def test_gatherings_are_balanced_not_a_last_one_mostly_blank():
    assert signature_sizes(28, 12) == [12, 8, 8]
    assert signature_sizes(20, 8) == [8, 8, 4]
    assert signature_sizes(36, 16) == [12, 12, 12]
    sizes = signature_sizes(440, 16)
    assert sum(sizes) == 440 and max(sizes) - min(sizes) <= 4 and max(sizes) <= 16
    assert deepest_sheet(28, 12) == 2 and deepest_sheet(25) == 6
