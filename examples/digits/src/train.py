"""Train a softmax regression on the prepared digits with mini-batch gradient descent.

Writes model.json (the weights), reports/train_history.csv (loss and accuracy after
each epoch) and the same per-epoch metrics in dvclive's format under dvclive/.
The test split is scored after each epoch only to draw the learning curve. It does
not influence training.
"""

import argparse
import random

from dataio import read_prepared, write_csv_atomic, write_text_atomic
from live import LiveMetrics
from softmax import NUM_CLASSES, SoftmaxModel


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lr", type=float, required=True, help="learning rate (step size)")
    parser.add_argument("--epochs", type=int, required=True,
                        help="number of passes over the training set")
    parser.add_argument("--l2", type=float, required=True,
                        help="L2 penalty: adds l2/2 times the sum of squared weights to the loss")
    parser.add_argument("--batch-size", type=int, required=True,
                        help="training rows per gradient step")
    parser.add_argument("--seed", type=int, required=True,
                        help="seed of the shuffle that orders the rows in each epoch")
    parser.add_argument("--data-dir", default="data/prepared")
    parser.add_argument("--model", default="model.json")
    parser.add_argument("--history", default="reports/train_history.csv")
    args = parser.parse_args()
    if args.lr <= 0 or args.epochs < 1 or args.l2 < 0 or args.batch_size < 1:
        parser.error("need --lr > 0, --epochs >= 1, --l2 >= 0 and --batch-size >= 1")
    return args


def gradient_step(model, batch_x, batch_y, lr, l2):
    """Apply one gradient-descent update on the mean cross-entropy of a batch."""
    num_features = len(batch_x[0])
    grad_w = [[0.0] * num_features for _ in range(NUM_CLASSES)]
    grad_b = [0.0] * NUM_CLASSES
    for x, label in zip(batch_x, batch_y):
        # The gradient of cross-entropy w.r.t. the logits is (probabilities - one-hot).
        errors = model.probabilities(x)
        errors[label] -= 1.0
        for k, error in enumerate(errors):
            grad_b[k] += error
            grad_w[k] = [g + error * xi for g, xi in zip(grad_w[k], x)]

    scale = lr / len(batch_x)
    # The L2 term shrinks weights toward zero. Biases are not penalized,
    # as is usual, because they only shift the class scores.
    decay = 1.0 - lr * l2
    for k in range(NUM_CLASSES):
        model.weights[k] = [decay * w - scale * g for w, g in zip(model.weights[k], grad_w[k])]
        model.biases[k] -= scale * grad_b[k]


def main():
    args = parse_args()
    train_x, train_y = read_prepared(f"{args.data_dir}/train.csv")
    test_x, test_y = read_prepared(f"{args.data_dir}/test.csv")

    model = SoftmaxModel.zeros(len(train_x[0]))
    rng = random.Random(args.seed)
    live = LiveMetrics()
    header = ["epoch", "train_loss", "train_acc", "test_loss", "test_acc"]
    history = []

    order = list(range(len(train_x)))
    for epoch in range(1, args.epochs + 1):
        # A fresh order per epoch gives each mini-batch a different mix of digits.
        rng.shuffle(order)
        for start in range(0, len(order), args.batch_size):
            batch = order[start:start + args.batch_size]
            gradient_step(model, [train_x[i] for i in batch], [train_y[i] for i in batch],
                          args.lr, args.l2)

        train_loss, train_acc = model.loss_and_accuracy(train_x, train_y)
        test_loss, test_acc = model.loss_and_accuracy(test_x, test_y)
        values = {"train_loss": train_loss, "train_acc": train_acc,
                  "test_loss": test_loss, "test_acc": test_acc}
        history.append([epoch] + [round(values[name], 6) for name in header[1:]])

        # Rewriting the history and the live metrics after every epoch lets
        # `dvc plots show` or an editor follow a run while it is still going.
        write_csv_atomic(args.history, header, history)
        for name, value in values.items():
            live.log_metric(name, value)
        live.next_step()
        print(f"epoch {epoch}/{args.epochs}: train_loss={train_loss:.4f} "
              f"test_loss={test_loss:.4f} test_acc={test_acc:.4f}")

    live.end()
    write_text_atomic(args.model, model.to_json())


if __name__ == "__main__":
    main()
