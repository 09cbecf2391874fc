"""Command-line interface: ``kbeffect simulate`` and ``kbeffect analyze``.

The CLI is the only place in kbeffect that writes to standard output. It prints aggregate
tables only; row-level data are written to files only when ``--out`` asks for them
(``simulate``) and never printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from kbeffect.errors import KbEffectError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kbeffect",
        description="Causal effects of child protection orders in three-wave family cohorts.",
    )
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("simulate", help="simulate a calibrated cohort and write its tables")
    s.add_argument("--families", type=int, default=1325, help="families at T0 (default 1325)")
    s.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    s.add_argument("--out", type=Path, required=True, help="directory for the tables and truth")
    s.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    s.add_argument("--overwrite", action="store_true", help="replace existing files")

    a = sub.add_parser(
        "analyze",
        help="reproduce the published analysis and re-estimate it with better designs",
        description=(
            "Run the main job: by default on a simulated cohort (1,325 families, seed 1); "
            "with --data on a directory of cohort tables (CSV, Parquet or SPSS .sav)."
        ),
    )
    a.add_argument("--data", type=Path, default=None, help="directory with cohort tables")
    a.add_argument("--mapping", type=Path, default=None, help="TOML column mapping for --data")
    a.add_argument("--families", type=int, default=1325, help="simulated families (default 1325)")
    a.add_argument("--seed", type=int, default=1, help="seed of simulation and bootstrap")
    a.add_argument("--bootstrap", type=int, default=999, help="cluster-bootstrap replicates")
    a.add_argument("--suppress-below", type=int, default=10,
                   help="suppress counts below this in printed tables (0 = off)")
    a.add_argument("--out", type=Path, default=None, help="write result tables (CSV) here")
    a.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return p


def _simulate(args: argparse.Namespace) -> int:
    from kbeffect.data.readers import write_cohort
    from kbeffect.sim import simulate_cohort

    cohort = simulate_cohort(args.families, seed=args.seed)
    files = write_cohort(cohort, args.out, format=args.format, overwrite=args.overwrite)
    truth_path = args.out / "truth.json"
    if truth_path.exists() and not args.overwrite:
        raise KbEffectError(f"{str(truth_path)!r} exists; pass --overwrite to replace it.")
    truth_path.write_text(cohort.truth.to_json(), encoding="utf-8")
    print(repr(cohort))
    for name, path in {**files, "truth": truth_path}.items():
        print(f"  {name:<13} {path}")
    return 0


def _analyze(args: argparse.Namespace) -> int:
    from kbeffect.audit import robustness_audit

    if args.data is not None:
        from kbeffect.data.readers import read_cohort

        cohort = read_cohort(directory=args.data, mapping=args.mapping)
    else:
        from kbeffect.sim import simulate_cohort

        # the audit compares with the sample truth; the population Monte Carlo is not needed
        cohort = simulate_cohort(args.families, seed=args.seed, population_size=0)
    report = cohort.validate()
    suppress = args.suppress_below or None
    audit = robustness_audit(cohort, bootstrap=args.bootstrap, seed=args.seed,
                             progress=not args.no_progress)
    print(cohort.describe(suppress_below=suppress))
    print()
    print(report.summary())
    print()
    print(audit.summary(suppress_below=suppress))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        audit.tidy().to_csv(args.out / "audit.csv", index=False)
        (args.out / "audit.txt").write_text(str(audit.summary(suppress_below=suppress)),
                                            encoding="utf-8")
        audit.plot().savefig(args.out / "audit.png", dpi=120)
        (args.out / "meta.json").write_text(json.dumps(audit.meta, indent=2, default=str),
                                            encoding="utf-8")
        print(f"\nResults written to {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``kbeffect`` command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 2 when kbeffect rejected the input.
    """
    args = _parser().parse_args(argv)
    try:
        if args.command == "simulate":
            return _simulate(args)
        return _analyze(args)
    except KbEffectError as exc:
        print(f"kbeffect: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
