"""Score the trained model on the test split.

Writes metrics.json (accuracy, log loss, macro-averaged F1) and
reports/confusion.csv (one "actual,predicted" row per test image) for the
confusion-matrix plot.
"""

import argparse
import json

from dataio import read_prepared, write_csv_atomic, write_text_atomic
from softmax import NUM_CLASSES, SoftmaxModel


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--test", default="data/prepared/test.csv")
    parser.add_argument("--model", default="model.json")
    parser.add_argument("--metrics", default="metrics.json")
    parser.add_argument("--confusion", default="reports/confusion.csv")
    return parser.parse_args()


def macro_f1(actual, predicted):
    """Return the unweighted mean of the per-class F1 scores.

    Macro averaging weighs every digit equally, so a digit that the model
    often confuses lowers the score even if that digit is rare.
    """
    scores = []
    for k in range(NUM_CLASSES):
        true_pos = sum(1 for a, p in zip(actual, predicted) if a == k and p == k)
        false_pos = sum(1 for a, p in zip(actual, predicted) if a != k and p == k)
        false_neg = sum(1 for a, p in zip(actual, predicted) if a == k and p != k)
        denominator = 2 * true_pos + false_pos + false_neg
        # A class that is neither present nor predicted has no errors, so it
        # counts as 1 here. Other tools may count it as 0.
        scores.append(2 * true_pos / denominator if denominator else 1.0)
    return sum(scores) / NUM_CLASSES


def main():
    args = parse_args()
    test_x, test_y = read_prepared(args.test)
    model = SoftmaxModel.from_json_file(args.model)

    log_loss, accuracy = model.loss_and_accuracy(test_x, test_y)
    predicted = [model.predict(x) for x in test_x]
    metrics = {
        "accuracy": round(accuracy, 6),
        "log_loss": round(log_loss, 6),
        "f1_macro": round(macro_f1(test_y, predicted), 6),
    }

    write_text_atomic(args.metrics, json.dumps(metrics, indent=4) + "\n")
    write_csv_atomic(args.confusion, ["actual", "predicted"], zip(test_y, predicted))
    print(f"evaluate: {json.dumps(metrics)}")


if __name__ == "__main__":
    main()
