"""Softmax regression (multinomial logistic regression) in plain Python.

The model has one weight vector and one bias per class. Class scores (logits) are
w_k . x + b_k, and the softmax of the logits gives the class probabilities.
"""

import json
import math
from operator import mul

NUM_CLASSES = 10  # the digits 0..9


class SoftmaxModel:
    def __init__(self, weights, biases):
        self.weights = weights  # NUM_CLASSES lists of feature weights
        self.biases = biases  # NUM_CLASSES floats

    @classmethod
    def zeros(cls, num_features):
        # The loss is convex, so a zero start works as well as a random one,
        # and the result then depends on no random seed.
        return cls([[0.0] * num_features for _ in range(NUM_CLASSES)], [0.0] * NUM_CLASSES)

    def logits(self, x):
        return [sum(map(mul, w, x)) + b for w, b in zip(self.weights, self.biases)]

    def probabilities(self, x):
        return softmax(self.logits(x))

    def predict(self, x):
        scores = self.logits(x)
        return scores.index(max(scores))

    def loss_and_accuracy(self, features, labels):
        """Return the mean cross-entropy (natural log) and the accuracy over a data set."""
        total_loss = 0.0
        correct = 0
        for x, label in zip(features, labels):
            scores = self.logits(x)
            total_loss += log_sum_exp(scores) - scores[label]
            correct += scores.index(max(scores)) == label
        return total_loss / len(labels), correct / len(labels)

    def to_json(self):
        return json.dumps(
            {"classes": list(range(NUM_CLASSES)), "weights": self.weights, "biases": self.biases},
            indent=1,
        ) + "\n"

    @classmethod
    def from_json_file(cls, path):
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
        return cls(data["weights"], data["biases"])


def log_sum_exp(scores):
    # Subtracting the max before exp avoids overflow for large logits.
    top = max(scores)
    return top + math.log(sum(math.exp(s - top) for s in scores))


def softmax(scores):
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]
