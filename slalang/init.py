"""`slalang init`: a ready policy repository for a RevOps team — agreement, tests, sample
data, pre-commit hooks and a CI workflow — so a team starts from a working example instead
of a blank page.

The files are package data under `slalang/templates/init/` (shipped in the wheel); the
sample data is generated from the compiled agreement, so it always fits the policy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from pathlib import Path

from slalang import __version__
from slalang.diagnostics import SlalangError
from slalang.fileio import write_atomic

# (template under slalang/templates/init, where it goes in the new repository). Templates
# are stored without leading dots so no packaging tool mistakes them for hidden files.
TEMPLATES = (
    ("README.md", "README.md"),
    ("slalang.toml", "slalang.toml"),
    ("policies/agreement.sla", "policies/agreement.sla"),
    ("tests/agreement.test.yaml", "tests/agreement.test.yaml"),
    ("pre-commit-config.yaml", ".pre-commit-config.yaml"),
    ("github/workflows/slalang.yml", ".github/workflows/slalang.yml"),
)
AGREEMENT = "policies/agreement.sla"
EVENTS = "data/events.csv"
METRICS = "data/metrics.csv"
CREATED = (*(target for _, target in TEMPLATES), EVENTS, METRICS)

# The placeholders the templates use; `{{ … }}` is GitHub Actions' own syntax.
VERSION_TOKEN = "@SLALANG_VERSION@"
INSTALL_TOKEN = "@SLALANG_INSTALL@"
# A template line ending in one of these is kept only with (without) code scanning.
WITH_CODE_SCANNING = " #@code-scanning"
WITHOUT_CODE_SCANNING = " #@no-code-scanning"

# What `pip install` is given: a requirement (`slalang==0.2.0`, `slalang>=0.2,<0.3`) or a
# URL (`git+https://…@main`). Quotes, spaces, `$`, braces and backslashes are refused: the
# value lands inside a quoted YAML string and a quoted shell word, and must stay there.
INSTALL_SPEC = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-\[\],<>=!~+:/@#&?%]*")

# Small and fixed: the same bytes on every machine, yet enough leads that tightening the
# enterprise response window from 4 to 2 business hours shows a new breach in a diff.
SAMPLE_LEADS = 150
SAMPLE_SEED = 10
SAMPLE_START = date(2026, 1, 5)
SAMPLE_MONTHS = 3


class InitError(SlalangError):
    """The repository could not be created (files in the way, unwritable directory)."""


@dataclass(frozen=True)
class Options:
    """How the CI workflow and the hooks are written.

    `install` is what they pip-install: by default the version that created them, so the
    repository keeps working when a later slalang changes something. `code_scanning` adds
    the upload of the check results to GitHub code scanning (which private repositories
    only have with GitHub Advanced Security), and the permission it needs.
    """

    install: str = f"slalang=={__version__}"
    code_scanning: bool = False

    def __post_init__(self) -> None:
        if not INSTALL_SPEC.fullmatch(self.install):
            raise InitError(
                f"--install: `{self.install}` is not a pip requirement or URL "
                "(e.g. slalang==0.2.0 or git+https://github.com/slalang/slalang@main)"
            )


def render(template: str, options: Options = Options()) -> str:
    """The text of one template with the options filled in: the running version, what to
    install, and the lines kept or dropped by code scanning."""
    text = files("slalang").joinpath("templates", "init", template).read_text(encoding="utf-8")
    text = text.replace(VERSION_TOKEN, __version__).replace(INSTALL_TOKEN, options.install)
    lines = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\n")
        for marker, wanted in (
            (WITH_CODE_SCANNING, options.code_scanning),
            (WITHOUT_CODE_SCANNING, not options.code_scanning),
        ):
            if body.endswith(marker):
                line = body.removesuffix(marker) + "\n" if wanted else ""
                break
        lines.append(line)
    return "".join(lines)


def create(directory: Path, force: bool = False, options: Options = Options()) -> list[Path]:
    """Write the repository into `directory` and return the files written, in order.

    Refuses, before writing anything, when a file it would create already exists and
    `force` is not given: a half-initialised repository is worse than none.
    """
    existing = [name for name in CREATED if (directory / name).exists()]
    if existing and not force:
        raise InitError(
            f"{directory}: would overwrite {', '.join(existing)} (use --force to replace them)"
        )
    written: list[Path] = []
    try:
        for template, target in TEMPLATES:
            path = directory / target
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, render(template, options))
            written.append(path)
        written += _write_data(directory)
    except OSError as exc:
        raise InitError(f"{directory}: cannot write: {exc.strerror or exc}") from None
    return written


def _write_data(directory: Path) -> list[Path]:
    """Sample CRM data for the agreement just written, generated from its compiled plan
    so the two always agree."""
    from slalang.check import check
    from slalang.diagnostics import Level, PolicyError
    from slalang.load import load
    from slalang.plan import compile_program
    from slalang.sample import write_sample

    program = load(directory / AGREEMENT, None)
    errors = [d for d in check(program) if d.level is Level.ERROR]
    if errors:  # the template is tested to check clean; this guards against a broken install
        raise PolicyError(errors)
    events, metrics = directory / EVENTS, directory / METRICS
    events.parent.mkdir(parents=True, exist_ok=True)
    write_sample(
        compile_program(program),
        events,
        metrics,
        leads=SAMPLE_LEADS,
        seed=SAMPLE_SEED,
        start=SAMPLE_START,
        months=SAMPLE_MONTHS,
    )
    return [events, metrics]
