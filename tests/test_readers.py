"""The result-file reader, shared by `analyze`, resuming runs and the results page's uploads, checks what
it reads: rows that cannot be certificates are refused with the file and the value named; CRLF, a BOM and
a missing final newline read as a clean file does; non-text is refused before it is decoded. Property
tests (Hypothesis) generate valid files and damage them: the answer is the same table or a clear error,
never another exception, and never a row that breaks the certificate's own arithmetic."""

from __future__ import annotations

import io
import os
import shlex

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ancer_core as ac
from ancer_core.cli import main
from ancer_core.data.results import HEADER, read_results

# more examples in CI than in the fast loop, each within a fixed time budget
EXAMPLES = 300 if os.environ.get("CI") else 60
PROFILE = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def row(i: int, label: int, predict: int, min_theta: float, gap: float, proxy_ratio: float = 1.0) -> str:
    radius = min_theta * max(gap, 0.0) if predict >= 0 else 0.0
    correct = int(predict == label)
    cells = [i, label, predict, f"{radius:.6g}", f"{radius * proxy_ratio:.6g}", correct, f"{min_theta:.6g}", 0.1, 0.9]
    return "\t".join(map(str, cells)) + f"\t{gap:.6g}"


CLEAN = HEADER + "\n" + "".join(row(i, 3, 3, 0.25, 1.2 + i / 10, 1 + i / 5) + "\n" for i in range(3))


def read(text: str | bytes, tmp_path, name="r.tsv"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return read_results(path)


def same(a, b) -> bool:
    return list(a.columns) == list(b.columns) and all(np.array_equal(a[c], b[c]) for c in a.columns)


def test_crlf_a_bom_and_a_missing_final_newline_read_as_the_clean_file(tmp_path):
    clean = read(CLEAN, tmp_path)
    assert len(clean) == 3
    for variant in (CLEAN.replace("\n", "\r\n"), "\ufeff" + CLEAN, CLEAN.rstrip("\n"), "\ufeff" + CLEAN.rstrip("\n")):
        assert same(read(variant, tmp_path), clean)
        assert same(read_results(io.BytesIO(variant.encode("utf-8"))), clean)  # an upload, as the results page


def test_a_resumed_run_after_a_missing_final_newline_starts_a_new_line(tmp_path):
    path = tmp_path / "r.tsv"
    path.write_text(CLEAN.rstrip("\n"))
    assert len(read_results(path, repair=True)) == 3 and path.read_text() == CLEAN
    path.write_text(CLEAN + "3\t3\t3\t0.2")  # torn: the row being written when the run was killed
    assert len(read_results(path, repair=True)) == 3 and path.read_text() == CLEAN


@pytest.mark.parametrize(
    "bad, said",
    [
        (row(0, 99, 99, 0.25, 1.0), "label of 99"),
        (row(0, 3, 12, 0.25, 1.0), "predict of 12"),
        (row(0, 3, 3, 0.25, 1.0, proxy_ratio=0.5), "proxy radius 0.125 below its radius 0.25"),
        ("0\t3\t3\t5\t5\t1\t0.25\t0.1\t0.9\t2.536", "radius 5 above min θ · gap = 0.634"),
        ("0\t3\t3\t1e300\t1e300\t1\t1e300\t0.1\t0.9\t1", "min θ"),
    ],
)
def test_rows_that_cannot_be_certificates_are_refused_naming_the_value(tmp_path, bad, said):
    with pytest.raises(ac.AncerInputError, match="cannot be certificates") as e:
        read(HEADER + "\n" + bad + "\n", tmp_path)
    assert said in str(e.value) and "r.tsv" in str(e.value)


@pytest.mark.parametrize(
    "content, said",
    [
        (b"PK\x03\x04\x00\x00binary checkpoint", "not a text file"),
        (HEADER.encode() + b"\n\xff\xfe\x00", "not a text file"),
        (HEADER.encode() + b"\n0\t3\t3\t0.1\xe9\n", "not UTF-8"),
    ],
)
def test_non_text_is_refused_before_it_is_decoded(tmp_path, content, said):
    with pytest.raises(ac.AncerInputError, match=said):
        read(content, tmp_path)


def test_a_folder_and_a_device_are_named_for_what_they_are(tmp_path):
    with pytest.raises(ac.AncerInputError, match="is a folder"):
        read_results(tmp_path)
    with pytest.raises(ac.AncerInputError, match="not a regular file"):
        read_results("/dev/null")


@pytest.mark.parametrize("radii", ["nan", "-1", "1e309", "0 inf", "abc"])
def test_analyze_refuses_radii_that_are_not_radii(tmp_path, capsys, radii):
    path = tmp_path / "r.tsv"
    path.write_text(CLEAN)
    with pytest.raises(SystemExit) as e:
        main(["analyze", str(path), "--radii", *shlex.split(radii)])
    assert e.value.code == 2 and "finite radii ≥ 0" in capsys.readouterr().err


def test_analyze_of_a_header_only_file_says_it_has_no_rows(tmp_path, capsys):
    path = tmp_path / "r.tsv"
    path.write_text(HEADER + "\n")
    assert main(["analyze", str(path)]) == 2
    err = capsys.readouterr().err
    assert "holds no rows yet" in err and "nan" not in err


def test_a_broken_pipe_ends_quietly(monkeypatch, capsys, tmp_path):
    """`analyze … | head`: the reader closed the pipe; that is no error of the disk's or the user's."""
    import ancer_core.cli.analyze as analyze

    def closed(args):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(analyze, "run", closed)
    path = tmp_path / "r.tsv"
    path.write_text(CLEAN)
    assert main(["analyze", str(path)]) == 0
    assert "free space" not in capsys.readouterr().err


# --- property tests ---------------------------------------------------------------------------------------

valid_rows = st.lists(
    st.tuples(
        st.integers(0, 9),  # label
        st.integers(-1, 9),  # predict (−1: abstain)
        st.floats(0.01, 4.0),  # min θ
        st.floats(-1.0, 4.0),  # gap
        st.floats(1.0, 3.0),  # proxy / radius
    ),
    min_size=0,
    max_size=8,
)


def file_of(rows) -> str:
    return HEADER + "\n" + "".join(row(i, *r) + "\n" for i, r in enumerate(rows))


@PROFILE
@given(rows=valid_rows)
def test_every_valid_file_reads_whatever_its_line_ends(tmp_path, rows):
    text = file_of(rows)
    table = read(text, tmp_path)
    assert len(table) == len(rows)
    for variant in (text.replace("\n", "\r\n"), "\ufeff" + text, text.rstrip("\n") if rows else text):
        assert same(read(variant, tmp_path), table)


damage = st.one_of(
    st.tuples(st.just("cut"), st.floats(0, 1)),
    st.tuples(st.just("insert"), st.floats(0, 1), st.binary(min_size=1, max_size=12)),
    st.tuples(st.just("replace"), st.floats(0, 1), st.sampled_from(["99", "-5", "nan", "inf", "1e309", "", "\t", "x"])),
)


@PROFILE
@given(rows=valid_rows, hurt=st.lists(damage, min_size=1, max_size=3))
def test_a_damaged_file_gives_the_same_table_or_a_clear_error(tmp_path, rows, hurt):
    data = file_of(rows).encode("utf-8")
    for op in hurt:
        at = int(op[1] * len(data))
        if op[0] == "cut":
            data = data[:at]
        elif op[0] == "insert":
            data = data[:at] + op[2] + data[at:]
        else:
            field_start = data.rfind(b"\t", 0, at) + 1
            field_end = data.find(b"\t", at)
            field_end = len(data) if field_end < 0 else field_end
            data = data[:field_start] + op[2].encode() + data[field_end:]
    try:
        table = read(data, tmp_path)
    except ac.AncerInputError as e:
        assert str(e)  # a clear error, with words
        return
    # read: every row obeys the certificate's own arithmetic
    if len(table):
        assert ((table["label"] >= 0) & (table["label"] <= 9)).all()
        assert ((table["predict"] >= -1) & (table["predict"] <= 9)).all()
        assert np.isfinite(table["radius"]).all() and (table["radius"] >= 0).all()
        assert (table["radius_proxy"] >= table["radius"] * (1 - 1e-4) - 1e-6).all()
        assert (table["radius"] <= table["min_sigma"] * np.maximum(table["gap"], 0) * (1 + 1e-4) + 1e-6).all()


@pytest.mark.parametrize("column", ["g\x01ap", "gapp", "p_lower"])
def test_a_header_with_a_column_no_result_file_has_or_one_twice_is_refused(tmp_path, column):
    """Found by the property above: a byte inside "gap" renamed the column, and the file read without it."""
    text = file_of([(0, 0, 1.0, 1.9375, 1.0)]).replace("\tgap\n", f"\t{column}\n", 1)
    with pytest.raises(ac.AncerInputError, match="header names"):
        read(text, tmp_path)


def test_a_nan_gap_is_refused(tmp_path):
    """Found by the property above: a row whose gap read 'nan' passed every check (NaN compares false)."""
    lines = file_of([(0, 0, 1.0, 0.0, 1.0)]).splitlines()
    fields = lines[1].split("\t")
    fields[-1] = "nan"
    with pytest.raises(ac.AncerInputError, match="gap that is NaN"):
        read("\n".join([lines[0], "\t".join(fields)]) + "\n", tmp_path)


# --- the toy page's files and links ---------------------------------------------------------------------

TOY = [[-1.0, -1.0], [-1.2, -0.5], [1.0, 1.0], [1.2, 0.6]], [0, 0, 1, 1]


@pytest.mark.parametrize("label", ["0.4", "0.9999", "1.7", "-1", "2"])
def test_a_toy_csv_label_that_is_not_a_class_is_refused_not_rounded(label):
    from ancer_core import teaching as T

    text = f"x1,x2,label\n-1,-1,0\n-1.2,-0.5,0\n1,1,1\n1.2,0.6,{label}\n"
    with pytest.raises(ac.AncerInputError, match="make it 0 or 1"):
        T.parse_toy_csv(text)


def test_a_toy_link_with_junk_or_of_any_size_is_refused_before_it_takes_memory():
    import base64
    import zlib

    from ancer_core import teaching as T

    good = T.encode_points(*TOY)
    raw = zlib.decompress(base64.urlsafe_b64decode(good + "=" * (-len(good) % 4)))
    padded = base64.urlsafe_b64encode(zlib.compress(raw + b"\x00" * 400)).decode().rstrip("=")
    bomb = base64.urlsafe_b64encode(zlib.compress(b"\x00" * 10**8, 9)).decode()  # 100 MB from ≈ 130 KB
    for bad, said in ((padded, "419 bytes for 4 points"), ("A" * 260_000, "characters"), (bomb, "characters")):
        with pytest.raises(ac.AncerInputError, match=said):
            T.decode_points(bad)
    small_bomb = base64.urlsafe_b64encode(zlib.compress(b"\x00" * 10**6, 9)).decode()  # short, inflates to 1 MB
    assert len(small_bomb) < 5000
    with pytest.raises(ac.AncerInputError, match="inflates beyond"):
        T.decode_points(small_bomb)


@PROFILE
@given(text=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=", max_size=300))
def test_any_toy_link_decodes_to_a_valid_set_or_a_clear_error(text):
    from ancer_core import teaching as T

    try:
        X, y = T.decode_points(text)
    except ac.AncerInputError:
        return
    assert X.shape == (len(y), 2) and set(np.unique(y)) <= {0, 1} and np.abs(X).max() <= T.TOY_LIMIT


@PROFILE
@given(points=st.lists(st.tuples(st.floats(-2.8, 2.8), st.floats(-2.8, 2.8), st.integers(0, 1)), max_size=40))
def test_every_valid_toy_set_survives_its_link(points):
    from ancer_core import teaching as T

    X = np.round(np.array([p[:2] for p in points], dtype=np.float64).reshape(-1, 2), 2)
    y = np.array([p[2] for p in points], dtype=np.int64)
    try:
        T.check_toy(X, y)
    except ac.AncerInputError:
        return  # fewer than two of a class: a set the page refuses in the first place
    X2, y2 = T.decode_points(T.encode_points(X, y))
    assert np.array_equal(y2, y) and np.allclose(X2, X, atol=0.006)
