"""The storage backends, one package each: its memory, its store, its schema and its errors.

Every backend builds on :mod:`memmark._core` and imports no other backend. Users reach them
through :mod:`memmark.memory` and :mod:`memmark.store`; importing this package imports no
driver.
"""

from __future__ import annotations
