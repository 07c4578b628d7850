"""Without a framework installed, memmark imports and its adapter names the extra to install."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


@pytest.mark.parametrize(
    ("module", "blocked", "extra"),
    [
        ("memmark.integrations.langchain", "langchain_core", "langchain"),
        ("memmark.integrations.openai_agents", "agents", "openai-agents"),
    ],
)
def test_adapter_without_its_framework_names_the_extra(
    module: str, blocked: str, extra: str
) -> None:
    code = textwrap.dedent(
        f"""
        import sys
        sys.modules[{blocked!r}] = None
        import memmark, memmark.integrations
        from memmark import *
        try:
            import {module}
        except ImportError as exc:
            print(exc)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"{module} needs the '{extra}' extra: pip install 'memmark[{extra}]'"
    )
