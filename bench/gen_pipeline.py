#!/usr/bin/env python3
"""Write a DVC project with a large generated dvc.yaml for benchmarks.

Usage: gen_pipeline.py DIR STAGES

The pipeline mixes plain stages, foreach groups over params and matrix groups,
with `${...}` templating in commands and paths, so that resolving it exercises
the same code paths as real projects. Half of the stages read the output of an
earlier stage, so the graph has long chains.
"""

import os
import sys


def main() -> None:
    target, count = sys.argv[1], int(sys.argv[2])
    os.makedirs(os.path.join(target, "src"), exist_ok=True)
    os.makedirs(os.path.join(target, ".dvc"), exist_ok=True)
    open(os.path.join(target, ".dvc", "config"), "w").close()

    groups = count // 10
    params = ["seed: 7", "models:"]
    for index in range(10):
        params.append(f"  - {{name: m{index}, lr: 0.{index + 1}, layers: {index + 2}}}")
    for group in range(groups):
        params.append(f"group{group}:")
        params.append(f"  epochs: {group % 13 + 1}")
        params.append(f"  rate: {group / 1000}")
    with open(os.path.join(target, "params.yaml"), "w") as handle:
        handle.write("\n".join(params) + "\n")

    with open(os.path.join(target, "src", "step.py"), "w") as handle:
        handle.write("print('step')\n")

    lines = ["stages:"]
    for group in range(groups):
        upstream = f"out/g{group - 1}" if group else "src/step.py"
        if group % 2 == 0:
            lines += [
                f"  g{group}:",
                "    foreach: ${models}",
                "    do:",
                f"      cmd: python src/step.py --epochs ${{group{group}.epochs}} --lr ${{item.lr}} --name ${{item.name}}",
                "      deps:",
                "        - src/step.py",
                f"        - {upstream}",
                "      params:",
                f"        - group{group}.epochs",
                "        - seed",
                "      outs:",
                f"        - out/g{group}/${{item.name}}.bin",
            ]
        else:
            lines += [
                f"  g{group}:",
                "    matrix:",
                "      size: [1, 2, 3, 4, 5]",
                "      mode: [fast, slow]",
                f"    cmd: python src/step.py --rate ${{group{group}.rate}} --size ${{item.size}} --mode ${{item.mode}}",
                "    deps:",
                "      - src/step.py",
                f"      - {upstream}",
                "    params:",
                f"      - group{group}.rate",
                "    outs:",
                f"      - out/g{group}/${{key}}.bin",
            ]
    with open(os.path.join(target, "dvc.yaml"), "w") as handle:
        handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
