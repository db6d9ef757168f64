"""Read and write the files that the pipeline stages pass to each other.

Only the standard library is used, so the example needs no extra packages.
"""

import csv
import os
import tempfile

NUM_PIXELS = 64  # each image is 8x8 pixel counts
PIXEL_COLUMNS = [f"px{i}" for i in range(NUM_PIXELS)]


def write_text_atomic(path, text):
    """Write text to path through a temporary file and a rename.

    A reader (DVC, a plot viewer, an editor extension) reads either the old file
    or the complete new one, never a half-written file.
    """
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as tmp:
            tmp.write(text)
        os.replace(tmp_path, path)
    except BaseException:
        os.unlink(tmp_path)
        raise


def write_csv_atomic(path, header, rows):
    """Write a CSV file with a header row, atomically (see write_text_atomic)."""
    lines = [",".join(header)]
    lines.extend(",".join(str(value) for value in row) for row in rows)
    write_text_atomic(path, "\n".join(lines) + "\n")


def read_prepared(path):
    """Read a split written by prepare.py into (features, labels).

    features is a list of 64-float lists and labels a list of ints 0..9.
    """
    features = []
    labels = []
    with open(path, encoding="utf-8", newline="") as file:
        reader = csv.reader(file)
        header = next(reader, None)
        if header != ["label"] + PIXEL_COLUMNS:
            raise SystemExit(
                f"error: {path} has an unexpected header; rerun the prepare stage "
                "(dvc repro prepare) to regenerate it"
            )
        for row in reader:
            labels.append(int(row[0]))
            features.append([float(value) for value in row[1:]])
    return features, labels
