"""Score the production search on test collections (MAP, nDCG@k, P@k)."""

from __future__ import annotations

import json
from importlib.util import find_spec
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from newsroom.search import evaluation
from newsroom.search.backends.base import Sort


class Command(BaseCommand):
    help = (
        "Index a test collection (docs.jsonl.gz, queries.tsv, qrels.txt) into a "
        "temporary index with the production analysis and ranking, run every "
        "query through the results page's pipeline and print MAP, nDCG@k and "
        "P@k (ranx) beside the collection's BM25 reference figures."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "dir", help="a collection directory, or a directory of them"
        )
        parser.add_argument("--k", type=int, default=10, help="cut-off for nDCG and P")
        parser.add_argument(
            "--sort",
            default=Sort.RELEVANCE,
            choices=list(evaluation.SORTS),
            help="ranking to evaluate (collections have no dates)",
        )
        parser.add_argument(
            "--option",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="override one of the default backend's OPTIONS for this run "
            "(a number or JSON value), to measure a ranking change",
        )

    def handle(
        self, *args, dir: str, k: int, sort: str, option: list[str], **options
    ) -> None:
        if k < 1:
            raise CommandError("--k must be at least 1")
        if find_spec("ranx") is None:  # a test extra, not in `make run`'s install
            raise CommandError(
                "evaluate_search needs ranx: run `make install-test` "
                "(or `pip install 'ranx>=0.3.20,<0.4'`)"
            )
        overrides = {}
        for item in option:
            name, sep, value = item.partition("=")
            if not sep or not name:
                raise CommandError(f"--option {item!r}: expected NAME=VALUE")
            try:
                overrides[name] = json.loads(value)
            except ValueError:
                overrides[name] = value
        try:
            paths = evaluation.collections_in(Path(dir))
        except evaluation.CollectionError as exc:
            raise CommandError(str(exc)) from exc
        err = lambda text: self.stderr.write(text)  # noqa: E731
        reports = []
        for path in paths:
            try:
                reports.append(
                    evaluation.evaluate(
                        path, k=k, sort=sort, progress=err, options=overrides
                    )
                )
            except evaluation.CollectionError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(self.table(reports, k, sort))

    @staticmethod
    def table(reports: list[evaluation.Report], k: int, sort: str) -> str:
        names = ["MAP", f"nDCG@{k}", f"P@{k}"]
        head = (
            ["collection", "queries"]
            + names
            + [f"ref {n}" for n in names]
            + ["relaxed", "seconds"]
        )
        lines = [
            f"sort={sort}, top {evaluation.DEPTH}; ref = the README's BM25 run",
            "| " + " | ".join(head) + " |",
            "|" + "---|" * len(head),
        ]
        for r in reports:
            ref = r.reference or {}
            row = [r.name, str(r.queries)]
            row += [f"{r.scores[n]:.4f}" for n in names]
            row += [f"{ref[n]:.4f}" if n in ref else "-" for n in names]
            row += [str(r.relaxed), f"{r.seconds:.1f}"]
            lines.append("| " + " | ".join(row) + " |")
            lines += [f"  {r.name}: {note}" for note in r.notes]
        return "\n".join(lines) + "\n"
