"""CI runs what the README tells a newcomer to run: the same block, verbatim."""

from __future__ import annotations

import re

from tests.conftest import REPO_ROOT


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Fresh machine: run the tests", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    script = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert block in script
    assert "chromium chromium-driver" in block  # the browser tests' browser is installed
    assert "python -m pytest" in block.splitlines()[-1]
