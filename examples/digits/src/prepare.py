"""Split the raw digits data into standardized train and test sets.

Reads data/digits.csv (no header row: 64 pixel counts in 0..16, then the digit 0..9),
shuffles the rows with a seeded generator, holds out a fraction of them for testing,
and writes data/prepared/train.csv and data/prepared/test.csv.
"""

import argparse
import csv
import math
import os
import random

from dataio import NUM_PIXELS, PIXEL_COLUMNS, write_csv_atomic


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", type=float, required=True,
                        help="fraction of rows held out for the test set, between 0 and 1")
    parser.add_argument("--seed", type=int, required=True,
                        help="seed of the shuffle that assigns rows to train or test")
    parser.add_argument("--raw", default="data/digits.csv", help="raw data file")
    parser.add_argument("--out-dir", default="data/prepared", help="output directory")
    args = parser.parse_args()
    if not 0.0 < args.split < 1.0:
        parser.error(f"--split must be between 0 and 1 (exclusive), got {args.split}")
    return args


def read_raw(path):
    """Return the raw rows as (pixels, label) pairs, rejecting malformed lines."""
    rows = []
    with open(path, encoding="utf-8", newline="") as file:
        for line_number, row in enumerate(csv.reader(file), start=1):
            if len(row) != NUM_PIXELS + 1:
                raise SystemExit(
                    f"error: {path}:{line_number} has {len(row)} columns, "
                    f"expected {NUM_PIXELS + 1} (64 pixels and the label)"
                )
            try:
                values = [int(value) for value in row]
            except ValueError as error:
                raise SystemExit(f"error: {path}:{line_number} has a non-integer value: {error}")
            rows.append((values[:NUM_PIXELS], values[NUM_PIXELS]))
    return rows


def column_stats(rows):
    """Return the mean and standard deviation of each pixel over rows."""
    count = len(rows)
    means = [sum(pixels[i] for pixels, _ in rows) / count for i in range(NUM_PIXELS)]
    stds = []
    for i, mean in enumerate(means):
        variance = sum((pixels[i] - mean) ** 2 for pixels, _ in rows) / count
        # Some border pixels are blank in every training image. Dividing by 1
        # leaves them at 0 instead of dividing by zero.
        stds.append(math.sqrt(variance) or 1.0)
    return means, stds


def standardize(rows, means, stds):
    """Return CSV rows: the label, then each pixel as a z-score with 6 significant digits."""
    return [
        [label] + [format((value - mean) / std, ".6g")
                   for value, mean, std in zip(pixels, means, stds)]
        for pixels, label in rows
    ]


def main():
    args = parse_args()
    rows = read_raw(args.raw)

    # Shuffling first makes the test set a random sample instead of the last
    # rows of the file. A private Random instance keeps the split reproducible.
    random.Random(args.seed).shuffle(rows)
    test_count = round(len(rows) * args.split)
    if test_count == 0 or test_count == len(rows):
        raise SystemExit(
            f"error: --split {args.split} leaves the train or test set empty "
            f"for {len(rows)} rows; choose a split between {1 / len(rows):.4f} "
            f"and {1 - 1 / len(rows):.4f}"
        )
    test_rows, train_rows = rows[:test_count], rows[test_count:]

    # Standardizing makes every pixel a comparable scale, so one learning rate
    # suits all weights. The statistics come from the training rows only, so
    # nothing about the test rows leaks into training.
    means, stds = column_stats(train_rows)

    header = ["label"] + PIXEL_COLUMNS
    os.makedirs(args.out_dir, exist_ok=True)
    write_csv_atomic(os.path.join(args.out_dir, "train.csv"), header,
                     standardize(train_rows, means, stds))
    write_csv_atomic(os.path.join(args.out_dir, "test.csv"), header,
                     standardize(test_rows, means, stds))
    print(f"prepare: {len(train_rows)} train rows, {len(test_rows)} test rows "
          f"(split {args.split}, seed {args.seed})")


if __name__ == "__main__":
    main()
