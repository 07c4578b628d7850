from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from memmark._optional import require

OPTIONAL_DRIVERS = [
    "redis",
    "asyncpg",
    "asyncmy",
    "aiomysql",
    "tablestore",
    "typer",
    "rich",
    "langchain_core",
    "agents",
]


def test_require_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)
    with pytest.raises(ImportError) as info:
        require("redis.asyncio", extra="redis", feature="RedisMemory")
    assert str(info.value) == "RedisMemory needs the 'redis' extra: pip install 'memmark[redis]'"
    assert isinstance(info.value.__cause__, ImportError)


def test_require_returns_the_module() -> None:
    assert require("json", extra="none", feature="x").__name__ == "json"


def test_import_memmark_loads_no_optional_driver() -> None:
    code = textwrap.dedent(
        f"""
        import sys
        blocked = {OPTIONAL_DRIVERS!r}
        for name in blocked:
            sys.modules[name] = None
        import memmark, memmark.memory, memmark.message
        from memmark import *
        loaded = [n for n in blocked if sys.modules.get(n) is not None]
        assert not loaded, loaded
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
