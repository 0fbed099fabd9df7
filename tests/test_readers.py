import gzip

import numpy as np
import pytest

from cnn1d.data.dataset import Dataset
from cnn1d.data.readers import find_test_file, read
from cnn1d.errors import DataError


def test_ucr_tsv(shared_data):
    ds = read(shared_data / "ucr" / "GunPoint" / "GunPoint_TRAIN.tsv")
    assert ds.values.shape == (50, 150, 1) and ds.values.dtype == np.float32
    assert set(ds.y) == {"1", "2"}
    assert ds.name == "GunPoint" and ds.equal_length and not ds.has_missing


def test_find_test_file(shared_data):
    train = shared_data / "ucr" / "ECG200" / "ECG200_TRAIN.tsv"
    assert find_test_file(train).name == "ECG200_TEST.tsv"
    assert find_test_file(shared_data / "ucr" / "ECG200" / "ECG200_TEST.tsv") is None


def test_ts_multivariate_and_variable_length(shared_data):
    ds = read(shared_data / "uea" / "JapaneseVowels" / "JapaneseVowels_TRAIN.ts")
    assert ds.n_channels == 12 and len(ds) == 270
    assert ds.lengths.min() == 7 and ds.lengths.max() == 26 and not ds.equal_length
    assert ds.class_names == [str(i) for i in range(1, 10)] and ds.task == "classify"
    # padding holds zeros, never NaN
    assert not np.isnan(ds.values[~ds.padding_mask()]).any()


def test_ts_missing_values_and_regression_header(tmp_path):
    path = tmp_path / "reg.ts"
    path.write_text(
        "# comment\n@problemName Toy\n@timeStamps false\n@missing true\n@univariate false\n@dimensions 2\n"
        "@equalLength false\n@targetLabel true\n@data\n"
        "1,2,?,4:5,6,7,8:1.5\n1,2,3:4,5,6:2.5\n"
    )
    ds = read(path)
    assert ds.task == "regress" and ds.y.tolist() == ["1.5", "2.5"]
    assert ds.lengths.tolist() == [4, 3]
    assert np.isnan(ds.values[0, 2, 0]) and ds.has_missing


def test_ts_errors(tmp_path):
    bad = tmp_path / "bad.ts"
    bad.write_text("@problemName X\n@classLabel true a b\n@data\n1,2,x:c\n")
    with pytest.raises(DataError, match="not a number"):
        read(bad)
    unknown = tmp_path / "unknown.ts"
    unknown.write_text("@classLabel true a b\n@data\n1,2,3:c\n")
    with pytest.raises(DataError, match="not among the classes"):
        read(unknown)
    nodata = tmp_path / "nodata.ts"
    nodata.write_text("@problemName X\n")
    with pytest.raises(DataError, match="no @data"):
        read(nodata)


def test_arff_flat_and_relational(tmp_path):
    flat = tmp_path / "flat.arff"
    flat.write_text("@relation x\n@attribute a numeric\n@attribute b numeric\n@attribute c numeric\n"
                    "@attribute target {1,2}\n@data\n1,2,3,1\n4,?,6,2\n")
    ds = read(flat)
    assert ds.values.shape == (2, 3, 1) and ds.y.tolist() == ["1", "2"] and ds.has_missing
    rel = tmp_path / "rel.arff"
    rel.write_text("@relation x\n@attribute r relational\n@attribute t1 numeric\n@attribute t2 numeric\n"
                   "@end r\n@attribute activity {walk,run}\n@data\n'1,2\\n3,4',walk\n\"5,6\\n7,8\",run\n")
    ds = read(rel)
    assert ds.values.shape == (2, 2, 2) and ds.y.tolist() == ["walk", "run"]
    np.testing.assert_allclose(ds.values[0, :, 1], [3, 4])


def test_csv_wide_and_long(tmp_path):
    wide = tmp_path / "wide.csv"
    wide.write_text("label,t0,t1,t2\ncat,1,2,3\ndog,4,5,\n")
    ds = read(wide)
    assert ds.y.tolist() == ["cat", "dog"] and ds.lengths.tolist() == [3, 2]
    long = tmp_path / "long.csv"
    long.write_text("id,time,x,y,label\na,1,1,10,up\na,0,0,9,up\nb,0,5,5,down\nb,1,6,6,down\nb,2,7,7,down\n")
    ds = read(long)
    assert ds.n_channels == 2 and ds.lengths.tolist() == [2, 3]
    np.testing.assert_allclose(ds.values[0, :2, 0], [0, 1])  # sorted by time
    assert ds.y.tolist() == ["up", "down"]


def test_csv_errors(tmp_path):
    text = tmp_path / "text.csv"
    text.write_text("label,t0,t1\na,1,oops\n")
    with pytest.raises(DataError, match="data row 1, column 't1' holds 'oops'"):
        read(text)
    dup = tmp_path / "dup.csv"
    dup.write_text("id,time,value\na,0,1\na,0,2\n")
    with pytest.raises(DataError, match="two rows for time"):
        read(dup)
    header_only = tmp_path / "header.csv"
    header_only.write_text("label,t0\n")
    with pytest.raises(DataError, match="no rows"):
        read(header_only)


def test_numpy_files(tmp_path):
    X = np.random.default_rng(0).normal(size=(4, 10, 2)).astype(np.float32)
    np.savez(tmp_path / "d.npz", X=X, y=np.array(["a", "b", "a", "b"]))
    ds = read(tmp_path / "d.npz")
    assert ds.values.shape == (4, 10, 2) and ds.y.tolist() == ["a", "b", "a", "b"]
    np.save(tmp_path / "x.npy", X)
    assert read(tmp_path / "x.npy").y is None
    with pytest.raises(DataError, match="holds no labels"):
        read(tmp_path / "x.npy", labels="required")
    np.savez(tmp_path / "nox.npz", X)  # positional: arr_0
    with pytest.raises(DataError, match="named 'X'"):
        read(tmp_path / "nox.npz")
    np.savez(tmp_path / "data.npz", data=X, labels=np.array([1, 2, 1, 2]))  # other usual names
    assert read(tmp_path / "data.npz").y.tolist() == [1, 2, 1, 2]
    np.savez(tmp_path / "split.npz", X_train=X, y_train=np.array([0, 1, 0, 1]), X_test=X[:2], y_test=np.array([1, 0]))
    train, test = read(tmp_path / "split.npz"), read(tmp_path / "split.npz", split="test")
    assert len(train) == 4 and train.meta["has_test"] and len(test) == 2 and test.y.tolist() == [1, 0]
    assert "arrays of the train split ('X_train', 'y_train')" in train.describe()
    from cnn1d.workflows import resolve_data

    assert len(resolve_data(str(tmp_path / "split.npz"))[1]) == 2  # training finds the test split in the file
    np.savez(tmp_path / "objects.npz", X=X, y=np.array(["a", "b", "a", "b"], dtype=object))
    with pytest.raises(DataError, match=r"holds Python objects \(an object array.*y=y.astype\(str\)"):
        read(tmp_path / "objects.npz")  # it was "internal error ValueError: Object arrays cannot be loaded"
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="pickle"):
        read(tmp_path / "obj.npy")


def test_gzip_and_corrupt_gzip(tmp_path, shared_data):
    src = (shared_data / "ucr" / "Coffee" / "Coffee_TRAIN.tsv").read_bytes()
    (tmp_path / "c.tsv.gz").write_bytes(gzip.compress(src))
    assert len(read(tmp_path / "c.tsv.gz")) == 28
    (tmp_path / "bad.tsv.gz").write_bytes(gzip.compress(src)[:200])
    with pytest.raises(DataError, match="corrupt"):
        read(tmp_path / "bad.tsv.gz")


@pytest.mark.parametrize("name,content,message", [
    ("empty.tsv", "", "empty"),
    ("one.tsv", "1\n2\n", "at least one value"),
    ("inf.tsv", "1\t1\tinf\n", "infinite"),
    ("allnan.tsv", "1\tnan\tnan\n", "no observed values"),
    ("x.parquet", "abc", "unknown file type"),
])
def test_bad_files(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        read(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read(tmp_path / "nope.tsv")
    with pytest.raises(DataError, match="is a folder"):
        read(tmp_path)


def test_dataset_from_arrays_and_lists():
    ds = Dataset.from_array([np.arange(5.0), np.arange(3.0)], ["a", "b"])
    assert ds.lengths.tolist() == [5, 3] and ds.values.shape == (2, 5, 1)
    with pytest.raises(DataError, match="channel counts"):
        Dataset.from_array([np.zeros((4, 2)), np.zeros((4, 3))])
    with pytest.raises(DataError, match="shape"):
        Dataset.from_array(np.zeros((2, 3, 4, 5)))
    with pytest.raises(DataError, match="non-numeric|numeric"):
        Dataset.from_array([["a", "b"], ["c", "d"]])
    trailing = Dataset.from_array(np.array([[1, 2, np.nan], [1, np.nan, 3]], dtype=np.float32))
    assert trailing.lengths.tolist() == [2, 3] and trailing.has_missing


def test_decimal_commas_are_read_when_the_file_is_not_comma_separated(tmp_path):
    """Excel writes `;`-separated files with decimal commas in much of Europe: they read as the same numbers
    (they were refused as text, or a numeric target as 'not a number'); a file mixing both ways is refused."""
    from cnn1d.data.text import read_text
    from cnn1d.data.timeseries import read_series_csv

    points = tmp_path / "points.csv"
    points.write_text("t0,t1,t2,peak\n0.5,-1.25,3,1.5\n2,0.125,-0.75,2.25\n")
    commas = tmp_path / "commas.csv"
    commas.write_text("t0;t1;t2;peak\n0,5;-1,25;3;1,5\n2;0,125;-0,75;2,25\n")
    a, b = read(points, label_column="peak"), read(commas, label_column="peak")
    np.testing.assert_array_equal(a.values, b.values)
    assert a.y.tolist() == b.y.tolist() == ["1.5", "2.25"]
    assert b.meta["decimal_comma"] and "decimal commas read as points" in b.describe()
    assert not a.meta.get("decimal_comma")
    headerless = tmp_path / "headerless.tsv"
    headerless.write_text("1\t0,5\t0,25\n2\t-0,5\t1e-3\n")  # a dot only in no number: still commas
    np.testing.assert_allclose(read(headerless).values[:, :, 0], [[0.5, 0.25], [-0.5, 0.001]])
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("t0;t1;label\n0,5;0.25;a\n1,5;2.5;b\n")
    with pytest.raises(DataError, match=r"reads '0,5' \(a decimal comma\? write 0.5\) and another '0.25': decimals written with commas and "):
        read(mixed)

    series = tmp_path / "sales.csv"
    series.write_text("date;sales;promo\n" + "".join(f"2024-01-{d:02d};{d},5;{d % 2}\n" for d in range(1, 29)))
    table = read_series_csv(series, "sales", covariates=["promo"])
    (key,) = table.targets
    np.testing.assert_allclose(table.targets[key][:3, 0], [1.5, 2.5, 3.5])
    np.testing.assert_allclose(table.covariates[key][:3, 0], [1, 0, 1])
    assert any("decimal commas read as points in 'sales'" in d for d in table.report["decisions"])
    german = tmp_path / "umsatz.csv"  # ';'-separated, thousands points and decimal commas: 1.037,50
    german.write_text("datum;umsatz\n" + "".join(f"2024-01-{d:02d};{d}.0{d % 10}7,50\n" for d in range(1, 29)))
    table = read_series_csv(german, "umsatz")
    np.testing.assert_allclose(table.targets[next(iter(table.targets))][:2, 0], [1017.5, 2027.5])
    assert table.report["decisions"][0].startswith("decimal commas read as points and thousands points dropped")
    quoted = tmp_path / "quoted.csv"  # comma-separated, thousands separators (quoted, as Excel writes them)
    quoted.write_text("date,sales\n" + "".join(f'2024-01-{d:02d},"{1000 * d + 0.5:,}"\n' for d in range(1, 29)))
    table = read_series_csv(quoted, "sales")
    np.testing.assert_allclose(table.targets[next(iter(table.targets))][:2, 0], [1000.5, 2000.5])
    assert table.report["decisions"][0] == "thousands separators dropped in 'sales' (the file is separated by ',')"

    texts = tmp_path / "reviews.csv"
    texts.write_text("text;label\nsuperb, moving;pos\na dull mess;neg\n")
    data = read_text(texts)
    assert data.texts == ["superb, moving", "a dull mess"] and data.y.tolist() == ["pos", "neg"]


def test_files_in_the_encodings_spreadsheets_write(tmp_path):
    """Windows-1252 (older Excel, Western Europe) and UTF-16 (Excel's 'Unicode text') read as what they say;
    Windows-1252 was refused as corrupt (series) or had its accented words replaced by U+FFFD (texts)."""
    from cnn1d.data.text import read_text
    from cnn1d.data.timeseries import read_series_csv

    table = "catégorie,t0,t1,t2\nélevé,0.5,1,2\nbas,1,2,3\n"
    utf8 = tmp_path / "utf8.csv"
    utf8.write_text(table, encoding="utf-8")
    for encoding, suffix, sep in (("cp1252", ".csv", ","), ("utf-16", ".tsv", "\t"), ("utf-8-sig", ".csv", ",")):
        path = tmp_path / f"{encoding}{suffix}"
        path.write_text(table.replace(",", sep), encoding=encoding)
        data = read(path, label_column="catégorie")
        assert data.y.tolist() == ["élevé", "bas"], encoding
        np.testing.assert_array_equal(data.values, read(utf8, label_column="catégorie").values)
        assert ("Windows-1252" in data.describe()) == (encoding == "cp1252")
    mac = tmp_path / "mac.csv"  # Excel's "CSV (Macintosh)": lines end with CR alone
    mac.write_bytes(table.replace("\n", "\r").encode("cp1252"))
    assert read(mac, label_column="catégorie").y.tolist() == ["élevé", "bas"]
    damaged = tmp_path / "damaged.csv"
    damaged.write_bytes("label,t0\nélevé,1\n".encode() + b"bas\xe9,2\n")  # UTF-8 with one bad byte
    with pytest.raises(DataError, match="is not valid UTF-8 \\(byte 0xe9 on line 3\\); save it as UTF-8"):
        read(damaged)

    texts = tmp_path / "avis.csv"
    texts.write_text("text,label\ntrès bien,pos\nennuyeux à mourir,neg\n", encoding="cp1252")
    data = read_text(texts)
    assert data.texts == ["très bien", "ennuyeux à mourir"] and "read as Windows-1252" in data.describe()

    series = tmp_path / "ventes.csv"
    series.write_text("date;température\n" + "".join(f"2024-01-{d:02d};{d},5\n" for d in range(1, 29)), encoding="cp1252")
    table = read_series_csv(series, "température")
    assert table.target_names == ["température"] and table.report["decisions"][0] == "read as Windows-1252 (the file is not UTF-8)"


def test_a_long_tables_time_column_under_another_name_is_found_by_its_dates(tmp_path):
    """'zeit' / 'fecha' columns of dates were read as a channel and refused ('pass --id-column zeit');
    now they order the rows as a 'time' column does (day first here: 13.01 has no month 13)."""
    rows = [(f"s{i}", f"{d:02d}.01.2024", i * 10 + d) for i in range(2) for d in (13, 2, 30, 1)]
    named = tmp_path / "named.csv"
    named.write_text("id,time,value\n" + "".join(f"{s},{t},{v}\n" for s, t, v in rows))
    other = tmp_path / "other.csv"
    other.write_text("id;zeit;wert\n" + "".join(f"{s};{t};{v}\n" for s, t, v in rows))
    a, b = read(named), read(other)
    np.testing.assert_array_equal(a.values, b.values)
    assert b.values[0, :, 0].tolist() == [1, 2, 13, 30] and b.n_channels == 1


def test_a_long_table_with_a_time_column_finds_its_series_column_by_its_runs(tmp_path):
    """'unit,step,acc_x,acc_y,freq': no id column by name, so the table was read wide, the units became 160
    classes and every row a 4-step series (exit 0 without --test). A time column means one row per step: the
    series column is the leftmost whose values come in unbroken runs."""
    rows = [(f"u{i}", k, i + k / 10, -k, 1.5 + i) for i in range(3) for k in range(4 + i)]
    path = tmp_path / "units.csv"
    path.write_text("unit,step,acc_x,acc_y,freq\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    data = read(path, label_column="freq")
    assert len(data) == 3 and data.lengths.tolist() == [4, 5, 6] and data.n_channels == 2
    assert data.meta["ids"] == ["u0", "u1", "u2"] and data.y.tolist() == ["1.5", "2.5", "3.5"]
    assert "series named by column 'unit'" in data.describe()
    # training without a label column names the column that is constant within every series
    with pytest.raises(DataError, match="--label-column freq"):
        read(path, labels="required")
    assert read(path, labels="none").meta["ids"] == ["u0", "u1", "u2"]
    # rows of the series interleaved: no column comes in runs; refused, naming both fixes
    shuffled = tmp_path / "mixed.csv"
    shuffled.write_text("unit,step,x\n" + "".join(f"u{k % 2},{k // 2},{k}\n" for k in range(8)))
    with pytest.raises(DataError, match="time column 'step'.*--id-column.*--layout wide"):
        read(shuffled)
    assert len(read(shuffled, id_column="unit", labels="none")) == 2


def test_wide_columns_named_by_channel_and_step_are_read_as_channels(tmp_path):
    """'label,x_0..x_49,y_0..y_49' was read as one channel of 100 steps (x then y), exit 0; the columns name two
    channels. A trained model finds its channels again by name, in any column order."""
    import pandas as pd

    from cnn1d.data.readers import read_csv

    frame = pd.DataFrame({"label": ["a", "b", "a"], **{f"x_{k}": [k, k + 1, k + 2] for k in range(5)},
                          **{f"y_{k}": [-k, -k - 1, -k - 2] for k in range(5)}})
    frame.to_csv(tmp_path / "two.csv", index=False)
    data = read(tmp_path / "two.csv")
    assert data.values.shape == (3, 5, 2) and data.channel_names == ["x", "y"]
    assert data.values[1, :, 1].tolist() == [-1, -2, -3, -4, -5] and "2 channels from the column names" in data.describe()
    trained = data.meta["value_columns"]
    shuffled = frame.drop(columns="label")[list(reversed(frame.columns[1:]))].assign(note=1)
    shuffled.to_csv(tmp_path / "new.csv", index=False)
    again = read_csv(tmp_path / "new.csv", labels="none", value_columns=trained)
    np.testing.assert_array_equal(again.values, data.values)
    assert again.meta["ignored_columns"] == ["note"]
    frame.drop(columns=["y_4"]).to_csv(tmp_path / "short.csv", index=False)
    with pytest.raises(DataError, match="different numbers of step columns"):
        read_csv(tmp_path / "short.csv", labels="none", value_columns=trained)
    # months of two years (2020-01 .. 2021-12) are 24 steps of one series, not two channels
    pd.DataFrame({"label": ["a", "b"], **{f"{y}-{m:02d}": [m, -m] for y in (2020, 2021) for m in range(1, 13)}}) \
        .to_csv(tmp_path / "months.csv", index=False)
    assert read(tmp_path / "months.csv").values.shape == (2, 24, 1)
    # steps numbered differently per prefix stay one channel of every column
    frame.drop(columns=["y_4"]).to_csv(tmp_path / "uneven.csv", index=False)
    assert read(tmp_path / "uneven.csv").values.shape == (3, 9, 1)


def test_comment_lines_at_the_top_are_skipped_and_a_commented_header_kept(tmp_path):
    """'# exported from LabTool' lines failed as 'rows have inconsistent numbers of fields'; numpy.savetxt writes
    its header as '# label,t0,...', which stays the header."""
    body = "label,t0,t1,t2\na,1,2,3\nb,4,5,6\na,1,2,4\n"
    (tmp_path / "commented.csv").write_text("# exported from LabTool v2\n#\n# units: mV\n\n" + body)
    data = read(tmp_path / "commented.csv")
    assert data.values.shape == (3, 3, 1) and data.y.tolist() == ["a", "b", "a"]
    assert "3 comment line(s) (#) at the top skipped" in data.describe()
    (tmp_path / "savetxt.csv").write_text("# " + body)
    data = read(tmp_path / "savetxt.csv")
    assert data.meta["value_columns"] == ["t0", "t1", "t2"] and "comment" not in data.describe()
    # forecasting tables and text tables skip them too (the comment became the header)
    from cnn1d.data.text import read_text
    from cnn1d.data.timeseries import read_series_csv

    (tmp_path / "sales.csv").write_text("# shop export\ndate,sales\n" + "".join(f"2024-01-{d:02d},{d}\n" for d in range(1, 29)))
    table = read_series_csv(tmp_path / "sales.csv", "sales")
    assert table.target_names == ["sales"] and "1 comment line(s) (#) at the top skipped" in table.report["decisions"]
    (tmp_path / "texts.csv").write_text("# labelled by hand\ntext,label\na good film,pos\na bad film,neg\n")
    texts = read_text(tmp_path / "texts.csv")
    assert texts.texts == ["a good film", "a bad film"] and "1 comment line(s)" in texts.describe()
    (tmp_path / "texts.csv").write_text("# labelled by hand\ntext,label\na good film,pos\na bad film,\n")
    with pytest.raises(DataError, match="line 4 has a text but no label"):  # the file's line, comments counted
        read_text(tmp_path / "texts.csv")


def test_an_archive_dataset_folder_reads_its_train_and_test_files(tmp_path):
    """`--data GunPoint/` (the folder a UCR download unpacks) was refused as 'is a folder'."""
    from cnn1d.workflows import resolve_data

    folder = tmp_path / "Toy"
    folder.mkdir()
    (folder / "Toy_TRAIN.tsv").write_text("a\t0.1\t0.2\t0.3\nb\t0.4\t0.5\t0.6\n")
    (folder / "Toy_TEST.tsv").write_text("a\t0.1\t0.2\t0.4\n")
    (folder / "Toy_TRAIN.txt").write_text("not read: .tsv comes first\n")
    (folder / "README.md").write_text("# Toy\n")
    train, test = resolve_data(str(folder))
    assert len(train) == 2 and len(test) == 1 and train.source.endswith("Toy_TRAIN.tsv")
    assert len(resolve_data(str(folder), split="test")[0]) == 1
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="without a NAME_TRAIN data file"):
        read(tmp_path / "empty")
    (folder / "Other_TRAIN.tsv").write_text("a\t0.1\t0.2\n")
    with pytest.raises(DataError, match="several datasets \\(Other, Toy\\)"):
        read(folder)


def test_the_missing_value_markers_of_excel_r_and_databases_are_missing_values(tmp_path):
    """'#N/A' (Excel), 'NULL' (databases) and 'n/a' were refused as 'not a number'; pandas reads them as missing."""
    (tmp_path / "gaps.csv").write_text("label,t0,t1,t2,t3\na,0.1,#N/A,0.3,0.4\nb,0.5,0.6,NULL,0.8\na,n/a,0.2,0.3,0.4\n")
    data = read(tmp_path / "gaps.csv")
    assert np.isnan(data.values[:, :, 0]).sum() == 3 and data.lengths.tolist() == [4, 4, 4]
    (tmp_path / "error.csv").write_text("label,t0,t1\na,0.1,#DIV/0!\nb,0.5,0.6\n")
    with pytest.raises(DataError, match="'#DIV/0!', which is not a number"):
        read(tmp_path / "error.csv")


def test_forecasting_tables_find_or_name_their_series_column(tmp_path):
    """statsforecast's long format (unique_id, ds, y) was read as one series with three rows per day and the error
    pointed to --aggregate, which would forecast the stores' mean; a series column under another name is named."""
    from cnn1d.data.timeseries import read_series_csv

    days = [f"2024-01-{d:02d}" for d in range(1, 29)]
    (tmp_path / "sf.csv").write_text("unique_id,ds,y\n" + "".join(f"{s},{d},{i + k}\n" for k, s in enumerate("abc")
                                                                  for i, d in enumerate(days)))
    table = read_series_csv(tmp_path / "sf.csv", None)
    assert sorted(table.targets) == ["a", "b", "c"] and table.target_names == ["y"]
    assert any("series named by column 'unique_id' (3 series" in d for d in table.report["decisions"])
    (tmp_path / "rows.csv").write_text("id,ds,y\n" + "".join(f"{i},{d},{i % 7}\n" for i, d in enumerate(days)))
    assert list(read_series_csv(tmp_path / "rows.csv", "y").targets) == ["series"]  # an id per row: one series
    (tmp_path / "stores.csv").write_text("store,date,sales\n" + "".join(f"{s},{d},{i + k}\n" for k, s in enumerate(("n", "s"))
                                                                       for i, d in enumerate(days)))
    with pytest.raises(DataError, match="--id-column store; to combine the rows of one series: --aggregate"):
        read_series_csv(tmp_path / "stores.csv", None)


@pytest.mark.parametrize("name,advice", [("sheet.xlsx", "save the sheet as CSV UTF-8"),
                                         ("frame.parquet", "pandas' to_csv"), ("data.pkl", "pickles are not read")])
def test_formats_not_read_say_what_to_do(tmp_path, name, advice):
    from cnn1d.data.text import read_text
    from cnn1d.data.timeseries import read_series_csv

    (tmp_path / name).write_bytes(b"PK\x03\x04")
    with pytest.raises(DataError, match=f"unknown file type .*{advice}"):
        read(tmp_path / name)
    with pytest.raises(DataError, match=f"forecasting reads CSV/TSV tables.*{advice}"):  # it said "holds no rows"
        read_series_csv(tmp_path / name, None)
    with pytest.raises(DataError, match=f"unknown text file type .*{advice}"):
        read_text(tmp_path / name)


def test_pandas_index_and_trailing_delimiters_are_not_time_steps(tmp_path):
    """pandas' to_csv writes its row numbers as a first, unnamed column; spreadsheets end every line with a
    delimiter. Both were read as time steps (the row numbers as step 0)."""
    import pandas as pd

    frame = pd.DataFrame({"label": ["a", "b", "a"], "t0": [0.5, 1.5, 2.5], "t1": [1.0, 2.0, 3.0]})
    frame.to_csv(tmp_path / "indexed.csv")  # ",label,t0,t1" then "0,a,0.5,1.0"
    (tmp_path / "trailing.csv").write_text("".join(line + ",\n" for line in frame.to_csv(index=False).splitlines()))
    frame.to_csv(tmp_path / "plain.csv", index=False)
    expected = read(tmp_path / "plain.csv")
    for name in ("indexed.csv", "trailing.csv"):
        data = read(tmp_path / name)
        np.testing.assert_array_equal(data.values, expected.values)
        assert data.meta["value_columns"] == ["t0", "t1"] and len(data.meta["dropped_columns"]) == 1
    assert "an index written by pandas' to_csv" in read(tmp_path / "indexed.csv").meta["dropped_columns"][0]
    named = tmp_path / "named.csv"  # a column that is named stays, whatever it holds
    named.write_text("label,sample,t0\na,0,1\nb,1,2\n")
    assert read(named).meta["value_columns"] == ["sample", "t0"]


def test_numbers_written_with_a_unit_are_refused_naming_the_number():
    from cnn1d.data.readers import number_hint

    assert number_hint("3.1%") == " (a unit or currency? write the number alone, 3.1, and name the unit in the column's header)"
    assert "101.00" in number_hint("$ 101.00") and "12," in number_hint("12 kg") + ","
    assert number_hint("high") == number_hint("2024-01-01") == number_hint("12:30") == ""
    assert number_hint("s0") == number_hint("p12") == number_hint("A1") == ""  # ids, not units


def test_series_tables_read_thousands_separators_and_refuse_what_cannot_be_told(tmp_path):
    """Spreadsheets export numbers for people: "1,037.50" (quoted, comma-separated) and "1.037,50" (';'); series
    tables read both as forecasting CSVs do. Where a comma or point could be either mark, the cell is named."""
    expected = [[1037.5, 12.5, 2001.25], [3.5, 1100.0, 4.0]]
    files = {"comma.csv": 'label,t0,t1,t2\na,"1,037.50",12.5,"2,001.25"\nb,3.5,"1,100.00",4.0\n',
             "semi.csv": "label;t0;t1;t2\na;1.037,50;12,5;2.001,25\nb;3,5;1.100;4,0\n",
             "groups.csv": 'label,t0,t1,t2\na,"1,037",12,"2,001,000"\nb,3,"1,100",4\n'}
    for name, content in files.items():
        (tmp_path / name).write_text(content)
    comma, semi = read(tmp_path / "comma.csv"), read(tmp_path / "semi.csv")
    np.testing.assert_allclose(comma.values[:, :, 0], expected)
    np.testing.assert_allclose(semi.values[:, :, 0], expected)
    assert "thousands separators dropped" in comma.describe() and not comma.meta["decimal_comma"]
    assert "decimal commas read as points and thousands points dropped" in semi.describe()
    np.testing.assert_allclose(read(tmp_path / "groups.csv").values[:, :, 0], [[1037, 12, 2001000], [3, 1100, 4]])
    refused = {"ambiguous.csv": ('label,t0,t1\na,"1,500",12\nb,3,"1,100"\n', "whether its comma groups thousands"),
               "decimal_comma.csv": ('label,t0,t1\na,"1,5",12\nb,3,"1,1"\n', "a decimal comma in a comma-separated file"),
               "points.csv": ("label;t0;t1\na;1.037;12,5\nb;3,5;1.100\n", "some cell must show both marks")}
    for name, (content, words) in refused.items():
        (tmp_path / name).write_text(content)
        with pytest.raises(DataError, match=words):
            read(tmp_path / name)


def test_a_wide_table_finds_labels_written_last_and_ids_named_in_words(tmp_path):
    rows = [f"S{i:03d}," + ",".join(f"{(i % 2) * 0.5 + t * 0.1:.2f}" for t in range(10)) + f",{'gun' if i % 2 else 'point'}"
            for i in range(8)]
    path = tmp_path / "gestures.csv"
    path.write_text("sample_id," + ",".join(f"x{t}" for t in range(10)) + ",gesture\n" + "\n".join(rows) + "\n")
    data = read(path, labels="required")  # it was "column 'gesture' holds 'point', which is not a number"
    assert data.values.shape == (8, 10, 1) and data.y.tolist()[:2] == ["point", "gun"]
    assert data.meta["ids"][:2] == ["S000", "S001"]
    assert "labels from 'gesture', the one column of words that repeat (--label-column to choose)" in data.describe()
    grouped = tmp_path / "grouped.csv"  # a subject column beside the sample id: it names groups, not a step
    grouped.write_text("sample_id,subject_id," + ",".join(f"x{t}" for t in range(10)) + ",gesture\n" + "\n".join(
        f"S{i:03d},{i // 4}," + r.split(",", 1)[1] for i, r in enumerate(rows)) + "\n")
    read_grouped = read(grouped, labels="required")
    assert read_grouped.values.shape == (8, 10, 1) and "'subject_id' left out (named as an id, not a step)" in \
        read_grouped.describe()
    named = tmp_path / "named.csv"  # a label column named in words
    named.write_text("activity_label," + ",".join(f"x{t}" for t in range(10)) + "\n"
                     + "\n".join(f"{'walk' if i % 2 else 'run'}," + ",".join(str(t) for t in range(10)) for i in range(6)))
    assert read(named, labels="required").y.tolist()[:2] == ["run", "walk"]


def test_numbers_separated_by_spaces_are_series(tmp_path):
    path = tmp_path / "GP_TRAIN.txt"  # the older UCR/UEA .txt: label then values, runs of spaces between
    rows = [[i % 2 + 1, *np.linspace(-1, i, 12)] for i in range(6)]
    np.savetxt(path, np.array(rows), fmt="%15.7e")
    data = read(path, labels="required")  # it was "holds text, not series (column '2.0000000e+00  -6.47...'"
    assert data.values.shape == (6, 12, 1) and data.y.tolist()[:2] == ["1", "2"]
    np.testing.assert_allclose(data.values[5, :, 0], np.linspace(-1, 5, 12), rtol=1e-6)


def test_a_target_named_unlike_the_steps_is_the_target_wherever_it_stands(tmp_path):
    rng = np.random.default_rng(0)
    rows = [[*rng.normal(size=6), 100.0 + i] for i in range(8)]
    path = tmp_path / "prices.csv"
    path.write_text(",".join(f"x{j}" for j in range(6)) + ",price\n" + "\n".join(",".join(f"{v:.4f}" for v in r) for r in rows))
    data = read(path, labels="required")  # read as the UCR convention, x0 was the target and price a step (exit 0)
    assert data.values.shape == (8, 6, 1) and [float(v) for v in data.y[:2]] == [100.0, 101.0]
    assert "labels or targets from 'price', the one column not named like the steps" in data.describe()
    channels = tmp_path / "channels.csv"  # steps of two channels, then the codes
    channels.write_text(",".join([f"x_{j}" for j in range(4)] + [f"y_{j}" for j in range(4)] + ["activity"]) + "\n"
                        + "\n".join(",".join(["0.1"] * 8 + [str(i % 2)]) for i in range(6)) + "\n")
    assert read(channels, labels="required").values.shape == (6, 4, 2)
    r_style = tmp_path / "r.csv"  # R's write.csv of a UCR table: V1 is the label, as the UCR convention says
    r_style.write_text(",".join(f"V{j}" for j in range(1, 6)) + "\n" + "\n".join(f"{i % 2 + 1},1,2,3,4" for i in range(4)))
    assert read(r_style, labels="required").y.tolist() == ["1", "2", "1", "2"]
    both = tmp_path / "both.csv"
    both.write_text("x0,x1,x2,age,score\n" + "\n".join("1,2,3,40,0.5" for _ in range(4)) + "\n")
    with pytest.raises(DataError, match="which of 'age', 'score' holds the labels or targets"):
        read(both, labels="required")


def test_a_row_per_day_of_hourly_columns_is_a_series_named_by_its_date(tmp_path):
    path = tmp_path / "days.csv"
    path.write_text("date," + ",".join(f"h{j}" for j in range(24)) + ",daytype\n" + "".join(
        f"2024-01-{d:02d}," + ",".join(str((j * d) % 7) for j in range(24)) + f",{'weekend' if d % 7 in (6, 0) else 'workday'}\n"
        for d in range(1, 15)))
    data = read(path, labels="required")  # it was refused: "a time column 'date' (one row per time step) ..."
    assert data.values.shape == (14, 24, 1) and data.meta["ids"][:2] == ["2024-01-01", "2024-01-02"]
    assert "one row per series (columns named as steps), named by 'date'" in data.describe()
    sensors = tmp_path / "sensors.csv"  # three channels of one recording beside a time column: still refused
    sensors.write_text("time,sensor1,sensor2,sensor3\n" + "".join(f"{t},{t * 1.5},{t * 2.5},{t % 3}\n" for t in range(5)))
    with pytest.raises(DataError, match="one row per time step"):
        read(sensors, labels="required")


def test_a_long_table_takes_its_one_column_of_words_constant_per_series_as_labels(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("subject_id,time,acc,activity\n" + "".join(
        f"S{s},{t},{t * (s + 1) * 0.1:.2f},{'walk' if s % 2 else 'run'}\n" for s in range(6) for t in range(5)))
    data = read(path, labels="required")  # it was refused: "no label column ...: --label-column activity"
    assert data.values.shape == (6, 5, 1) and data.y.tolist()[:2] == ["run", "walk"]
    assert "labels from 'activity', the one column of words constant within every series" in data.describe()
    assert read(path).y.tolist()[:2] == ["run", "walk"]  # and read without asking for labels: not a value column
