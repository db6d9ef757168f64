"""Write per-epoch metrics in the file layout of dvclive, without importing dvclive.

The layout matches dvclive 3.49.1 with its default directory:
- dvclive/metrics.json: the latest value of each metric plus "step", indented 4 spaces;
- dvclive/plots/metrics/<name>.tsv: a "step<TAB><name>" header, then one row per step;
- <DVC_ROOT>/.dvc/tmp/exps/run/DVCLIVE_STEP_COMPLETED: {"pid": ..., "step": ...},
  which signals to the DVC extension for VS Code that a step has finished.
"""

import json
import os
import shutil

from dataio import write_text_atomic


class LiveMetrics:
    def __init__(self, directory="dvclive"):
        self.metrics_file = os.path.join(directory, "metrics.json")
        self.plots_dir = os.path.join(directory, "plots", "metrics")
        self.step = 0
        self.summary = {}
        self.signal_file = step_signal_path()

        # A new run starts a new history, as dvclive does unless resume=True.
        # DVC deletes the outputs before the stage runs, so this matters only
        # when the script is run by hand.
        shutil.rmtree(self.plots_dir, ignore_errors=True)
        if os.path.exists(self.metrics_file):
            os.remove(self.metrics_file)

    def log_metric(self, name, value):
        """Append value to the metric's history and record it as the latest value."""
        path = os.path.join(self.plots_dir, f"{name}.tsv")
        os.makedirs(self.plots_dir, exist_ok=True)
        is_new = not os.path.exists(path)
        # Appending, as dvclive does, keeps the cost of a step independent of
        # the length of the history.
        with open(path, "a", encoding="utf-8", newline="") as file:
            file.write((f"step\t{name}\n" if is_new else "") + f"{self.step}\t{value!r}\n")
        self.summary[name] = value

    def next_step(self):
        """Publish the metrics of the finished step and move to the next one."""
        self.summary["step"] = self.step
        write_text_atomic(self.metrics_file, json.dumps(self.summary, indent=4) + "\n")
        if self.signal_file:
            write_text_atomic(
                self.signal_file,
                json.dumps({"pid": os.getpid(), "step": self.step}, sort_keys=True),
            )
        self.step += 1

    def end(self):
        # dvclive 3.49.1 also removes the signal file when training ends (Live.end).
        if self.signal_file and os.path.exists(self.signal_file):
            os.remove(self.signal_file)


def step_signal_path():
    """Return the path of the step signal file, or None outside `dvc exp run`.

    DVC sets DVC_ROOT for every stage command and DVC_EXP_BASELINE_REV only during
    `dvc exp run`. NOTE: dvclive 3.49.1 writes the signal whenever it finds a DVC
    project, also in `dvc repro`. dvclive documents the signal as meant for
    experiments in the DVC queue, so this script writes it only inside `dvc exp run`.
    """
    root = os.environ.get("DVC_ROOT")
    if not root or not os.environ.get("DVC_EXP_BASELINE_REV"):
        return None
    return os.path.join(root, ".dvc", "tmp", "exps", "run", "DVCLIVE_STEP_COMPLETED")
