"""Start-up cost: what importing zhifa and running ``zhifa --help`` cost a fresh process.

Each case runs ``--runs`` times in a new interpreter and reports the median wall time and its
ratio to the baseline measured in the same run, ``python -c pass``. Two cache states:

* **warm**: the compiled ``.pyc`` files exist (every start after the first);
* **cold**: every run gets an empty ``PYTHONPYCACHEPREFIX``, so each module is compiled from
  source, as on the first start after an install or upgrade.

``--before DIR`` adds the same cases for another checkout's ``core/`` (e.g. a ``git worktree``
of an older commit), run with this interpreter and its installed dependencies, so the two can
be compared side by side. Installed department plugins are switched off for the comparison
(``ZHIFA_DISABLE_PLUGIN_AUTOLOAD=1``: they are written against one version's API); the
``--help with plugins`` case shows what they add on the current tree.

Usage: ``python bench/startup.py [--runs 15] [--before /path/to/old/checkout]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

CASES: dict[str, str] = {
    "import zhifa.errors": "import zhifa.errors",
    "import zhifa": "import zhifa",
    "from zhifa import hookimpl": "from zhifa import hookimpl",
    "import zhifa.engine": "import zhifa.engine",
    "zhifa --help": "import sys; sys.argv = ['zhifa', '--help']; from zhifa.cli import main; main()",
}


def _time(code: str, env: Mapping[str, str], runs: int, cold: bool) -> float:
    samples = []
    for _ in range(runs):
        run_env = dict(env)
        with tempfile.TemporaryDirectory() as cache:
            if cold:
                run_env["PYTHONPYCACHEPREFIX"] = cache
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", code],
                env=run_env,
                cwd=tempfile.gettempdir(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                check=False,
            )
            samples.append(time.perf_counter() - start)
        if done.returncode not in (0, 2):  # `--help` exits 0; a usage error would exit 2
            raise SystemExit(f"{code!r} failed: {done.stderr.decode()[-500:]}")
    return statistics.median(samples)


def _modules(code: str, env: Mapping[str, str]) -> str:
    body = "\n".join(part.strip() for part in code.split(";"))
    probe = (
        f"try:\n    {body.replace(chr(10), chr(10) + '    ')}\nexcept SystemExit:\n    pass\n"
        "import sys\n"
        "print(len([m for m in sys.modules if m.startswith('zhifa')]), "
        "'sqlalchemy' in sys.modules, 'numpy' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], env=dict(env), capture_output=True, text=True, check=True
    ).stdout.split()
    return f"{out[-3]} zhifa modules, sqlalchemy {'yes' if out[-2] == 'True' else 'no'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--before", type=Path, help="another checkout to compare with")
    args = parser.parse_args()

    base_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    trees = {"now": dict(base_env, ZHIFA_DISABLE_PLUGIN_AUTOLOAD="1")}
    if args.before:
        trees["before"] = dict(
            base_env,
            ZHIFA_DISABLE_PLUGIN_AUTOLOAD="1",
            PYTHONPATH=str(args.before.resolve() / "core"),
        )
    print(f"python {sys.version.split()[0]}, {args.runs} runs per case, medians")
    for cold in (False, True):
        state = "cold (.pyc compiled each run)" if cold else "warm (.pyc cached)"
        baseline = _time("pass", base_env, args.runs, cold)
        print(f"\n{state}: baseline `python -c pass` {baseline * 1000:.0f} ms")
        print(f"{'case':<28}{'tree':<8}{'ms':>8}{'× baseline':>12}  loads")
        for name, code in CASES.items():
            for tree, env in trees.items():
                if tree == "before" and name == "from zhifa import hookimpl":
                    code_here = "import zhifa; zhifa.hookimpl"
                else:
                    code_here = code
                took = _time(code_here, env, args.runs, cold)
                loads = _modules(code_here, env) if not cold else ""
                print(f"{name:<28}{tree:<8}{took * 1000:>8.0f}{took / baseline:>12.1f}  {loads}")
        plugged = _time(CASES["zhifa --help"], base_env, args.runs, cold)
        print(
            f"{'zhifa --help with plugins':<28}{'now':<8}{plugged * 1000:>8.0f}{plugged / baseline:>12.1f}"
        )


if __name__ == "__main__":
    main()
