from __future__ import annotations

import sys

import pytest

from memmark._cli import main


def test_without_the_cli_extra_main_prints_the_pip_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delitem(sys.modules, "memmark._cli._app", raising=False)
    monkeypatch.setitem(sys.modules, "typer", None)
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 1
    assert "pip install 'memmark[cli]'" in capsys.readouterr().err
