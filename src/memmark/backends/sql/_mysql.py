"""MariaDB's ``add`` in one round trip: a stored procedure doing the whole transaction.

An ``add`` is four statements (lock the session row and reserve sequence numbers, insert the
messages, insert the marks, COMMIT), each a round trip, and through SQLAlchemy each also costs
several times its round trip in Python. MariaDB has no data-modifying CTEs (PostgreSQL's
one-statement path), so the same transaction is a procedure, ``{prefix}add_v{version}_{rev}``:
``CALL`` with the records as one JSON argument, unpacked by ``JSON_TABLE`` (MariaDB >= 10.6)
(a single message, the common case, is passed as plain arguments with its first mark; any
further marks as JSON), sent straight through the driver (asyncmy or aiomysql; measured with
``benchmarks/bench_sql.py``, the portable statements take about 3x its time on either).
The procedure runs ``START TRANSACTION``, the
session-row upsert (``INSERT ... ON DUPLICATE KEY UPDATE``, which holds the row's lock to the
COMMIT, serialising the session's writers across processes), the messages (stored ids
skipped by the unique key), the marks of exactly the rows inserted, ``COMMIT``; any error
rolls it back and is re-signalled unchanged (deadlocks stay retryable). It ends without
warnings (asyncmy would fetch them in another round trip and log them) and is created with
its "already exists" note silenced.

The procedure is created on first use, idempotently, beside the tables. It only reads and
writes those tables, so the tables' schema version is unchanged; its name carries that
version and its own revision, so a new layout or body brings a new procedure while older
processes keep calling theirs. Without the privilege to create it (or on MySQL, older
MariaDB, another driver, in a caller's ``AsyncSession``), and for a batch too big for one
statement, ``add`` takes the portable path. The procedure runs with the caller's privileges
(``SQL SECURITY INVOKER``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from memmark._core import StoredMessage
from memmark.backends.sql._driver import AddTarget, DriverAdd, bound_now
from memmark.backends.sql._queries import Identity
from memmark.backends.sql._routines import COLLISION, create_once, signalled
from memmark.backends.sql._schema import SCHEMA_VERSION, Tables

__all__ = ["FAST_ADD", "procedure_ready"]

_LOST = "network operation failed due to asyncmy attribute error"  # SQLAlchemy's wording

_DRIVERS = ("asyncmy", "aiomysql")
"""The drivers the procedure pays on (``benchmarks/bench_sql.py``)."""
_MAX_ARGUMENT_BYTES = 8_000_000
"""Largest JSON batch in one ``CALL``: the statement must fit ``max_allowed_packet`` (16 MiB
by default, and escaping can double it); a bigger batch takes the statements, which split
it."""

_REVISION = 4
"""Bumped whenever the procedure's body changes, so no process runs a stale body."""


def _name(t: Tables) -> str:
    return f"{t.sessions.name.removesuffix('sessions')}add_v{SCHEMA_VERSION}_{_REVISION}"


@functools.cache
def _definition(t: Tables) -> str:
    sessions, messages, marks = t.sessions.name, t.messages.name, t.marks.name
    records = (
        "JSON_TABLE(p_records, '$[*]' COLUMNS ("
        "ord FOR ORDINALITY, "
        "msg_id VARCHAR(255) CHARACTER SET utf8mb4 PATH '$[0]', "
        "payload LONGTEXT CHARACTER SET utf8mb4 PATH '$[1]'{marks}))"
    )
    with_marks = records.format(
        marks=", NESTED PATH '$[2][*]' COLUMNS (mark VARCHAR(255) CHARACTER SET utf8mb4 PATH '$')"
    )
    return f"""
CREATE PROCEDURE IF NOT EXISTS {_name(t)}(
    IN p_key VARCHAR(64), IN p_user VARBINARY(4096), IN p_session VARBINARY(4096),
    IN p_now DATETIME(6), IN p_records LONGTEXT CHARACTER SET utf8mb4,
    IN p_msg_id VARBINARY(1020), IN p_payload LONGTEXT CHARACTER SET utf8mb4,
    IN p_mark VARBINARY(1020), IN p_more_marks LONGTEXT CHARACTER SET utf8mb4)
MODIFIES SQL DATA SQL SECURITY INVOKER
BEGIN
    DECLARE v_count BIGINT DEFAULT IF(p_records IS NULL, 1, JSON_LENGTH(p_records));
    DECLARE v_ref, v_first, v_stored BIGINT;
    DECLARE v_user, v_session VARBINARY(4096);
    DECLARE v_stored_before BOOLEAN DEFAULT FALSE;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
    START TRANSACTION;
    INSERT INTO {sessions} (session_key, user_id, session_id, summary, next_seq, updated_at)
        VALUES (p_key, p_user, p_session, '', v_count, p_now)
        ON DUPLICATE KEY UPDATE next_seq = next_seq + v_count, updated_at = p_now;
    SELECT id, next_seq - v_count, user_id, session_id
        INTO v_ref, v_first, v_user, v_session
        FROM {sessions} WHERE session_key = p_key;
    IF v_user <> p_user OR v_session <> p_session THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{COLLISION}';
    END IF;
    IF p_records IS NULL THEN  -- one message and its first mark as plain arguments
        BEGIN  -- a stored id fails the unique key (1062), handled without a warning
            DECLARE CONTINUE HANDLER FOR 1062 SET v_stored_before = TRUE;
            INSERT INTO {messages} (session_ref, seq, msg_id, payload)
                VALUES (v_ref, v_first, p_msg_id, p_payload);
        END;
        IF NOT v_stored_before AND p_mark IS NOT NULL THEN
            INSERT INTO {marks} (session_ref, mark, seq) VALUES (v_ref, p_mark, v_first);
            IF p_more_marks IS NOT NULL THEN  -- JSON_TABLE costs more than an INSERT
                INSERT INTO {marks} (session_ref, mark, seq)
                    SELECT v_ref, CAST(r.mark AS BINARY), v_first
                    FROM JSON_TABLE(p_more_marks, '$[*]' COLUMNS (
                        mark VARCHAR(255) CHARACTER SET utf8mb4 PATH '$')) AS r;
            END IF;
        END IF;
    ELSE
        INSERT IGNORE INTO {messages} (session_ref, seq, msg_id, payload)
            SELECT v_ref, v_first + r.ord - 1, CAST(r.msg_id AS BINARY), r.payload
            FROM {records.format(marks="")} AS r;
        SET v_stored = ROW_COUNT();
        IF v_stored = v_count THEN  -- every record stored: each mark row is known
            INSERT INTO {marks} (session_ref, mark, seq)
                SELECT v_ref, CAST(r.mark AS BINARY), v_first + r.ord - 1
                FROM {with_marks} AS r
                WHERE r.mark IS NOT NULL;
        ELSE  -- some ids were stored before: mark only the new rows; run even when none
              -- is new, as it clears INSERT IGNORE's warnings, which drivers fetch and log
            INSERT INTO {marks} (session_ref, mark, seq)
                SELECT v_ref, CAST(r.mark AS BINARY), m.seq
                FROM {with_marks} AS r
                JOIN {messages} AS m ON m.session_ref = v_ref AND m.seq = v_first + r.ord - 1
                    AND m.msg_id = CAST(r.msg_id AS BINARY)
                WHERE r.mark IS NOT NULL;
        END IF;
    END IF;
    COMMIT;
END
"""


async def procedure_ready(engine: AsyncEngine, t: Tables) -> bool:
    """Create the procedure once per engine and prefix; false if not allowed to."""
    return await create_once(engine, _name(t), (_definition(t),))


def _procedure_add(
    dialect: Dialect,
    t: Tables,
    who: Identity,
    records: Sequence[StoredMessage],
    max_argument_bytes: int,
) -> DriverAdd | None:
    """The ``add`` of ``records`` as one ``CALL`` (see :func:`procedure_ready`).

    ``None`` when a batch's JSON argument is over ``max_argument_bytes``: one statement must
    fit ``max_allowed_packet``, while plain statements split a big batch over several.
    """
    call = f"CALL {_name(t)}(%s, %s, %s, %s, %s, %s, %s, %s, %s)"
    session = (who.key, who.user_id, who.session_id, bound_now(dialect, t))
    arguments: tuple[Any, ...]
    if len(records) == 1:
        (one,) = records
        first_mark = one.marks[0] if one.marks else None
        more_marks = json.dumps(one.marks[1:]) if len(one.marks) > 1 else None
        arguments = (*session, None, one.msg_id, one.payload, first_mark, more_marks)
    else:
        batch = json.dumps([[r.msg_id, r.payload, r.marks] for r in records])
        if len(batch) > max_argument_bytes:
            return None
        arguments = (*session, batch, None, None, None, None)
    dbapi = dialect.loaded_dbapi

    async def run(driver: Any) -> None:
        try:
            async with driver.cursor() as cursor:
                await cursor.execute(call, arguments)
        except AttributeError as exc:  # asyncmy on a lost connection, mapped as SQLAlchemy does
            raise dbapi.InternalError(_LOST) from exc
        except dbapi.Error as exc:
            raised = signalled(exc)
            if raised is not None:
                raise raised from exc
            raise

    return DriverAdd(call, run)


class _Procedure:
    """:class:`~memmark.backends.sql._driver.FastAdd` of MariaDB >= 10.6 (JSON_TABLE)."""

    def serves(self, dialect: Dialect, *, in_session: bool) -> bool:
        return (
            not in_session
            and dialect.driver in _DRIVERS
            and bool(getattr(dialect, "is_mariadb", False))
            and tuple(dialect.server_version_info or ()) >= (10, 6)
        )

    async def add(self, target: AddTarget, records: Sequence[StoredMessage]) -> bool:
        engine, t = target.engine, target.tables
        if not await procedure_ready(engine, t):
            return False
        add = _procedure_add(engine.dialect, t, target.who, records, _MAX_ARGUMENT_BYTES)
        if add is None:
            return False
        await target.on_driver(add)
        return True


FAST_ADD = _Procedure()
