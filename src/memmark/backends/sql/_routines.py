"""``pop``, ``rewind``, ``compress`` and ``fork`` as database routines: one round trip each.

Sent statement by statement (``_lifecycle``), each of these writes is 4-8 round trips
(``BEGIN``, the lock of the session row, the changes, ``COMMIT``), where ``add`` is one
(``_postgres``' single statement, ``_mysql``'s procedure); routines beside the tables make
them one call each: PL/pgSQL functions on PostgreSQL (``SELECT * FROM f(...)``, atomic as
one statement) and procedures on MariaDB >= 10.6 (``CALL``, running ``START TRANSACTION``
to ``COMMIT`` and rolling back on any error). Their bodies are ``_statements``' SQL (but
MariaDB's ``compress``, which joins its ids, see there), in the same order as ``_lifecycle``
sends it, so both paths write the same rows and lock the same way: the session row first,
so a session's writers queue on the database across processes. On PostgreSQL each
statement of a function reads with a fresh snapshot (READ COMMITTED), on MariaDB every read
after the lock opens the transaction's snapshot, so the writes after the lock see what a
writer that held it before committed (two ``pop`` never take the same message).

A version conflict and a session key collision are errors raised in the routine (so it
changes nothing), with a message :func:`signalled` turns back into memmark's errors.

The routines are created on first use, once per engine and prefix, and named
``{prefix}{operation}_v{SCHEMA_VERSION}_{REVISION}``: a new table layout or body brings new
names while older processes keep calling theirs; they only read and write memmark's tables,
so the schema version is unchanged. Without the privilege to create them (PostgreSQL's
``CREATE`` on the schema, MariaDB's ``CREATE ROUTINE``) the operations are sent as
statements. Measured with ``benchmarks/bench_lifecycle.py``.
"""

from __future__ import annotations

import asyncio
import functools
import re
import weakref
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from memmark.backends.sql._queries import collision
from memmark.backends.sql._schema import SCHEMA_VERSION, Tables
from memmark.backends.sql._statements import Calls, Statements, bound
from memmark.errors import ConflictError, MemmarkError

__all__ = [
    "COLLISION",
    "OPERATIONS",
    "calls",
    "create_once",
    "definitions",
    "ready",
    "routine_names",
    "serves",
    "signalled",
]

COLLISION = "memmark: session key collision"
"""The message of a routine's collision error (``_mysql``'s add procedure signals it too)."""
_CONFLICT = "memmark: version conflict"
_CONFLICT_TEXT = re.compile(re.escape(_CONFLICT) + r": expected (\d+), current (\d+)")

OPERATIONS = ("pop", "rewind", "compress", "fork")
"""The operations with a routine."""

REVISION = 3
"""Bumped whenever a routine's body or signature changes."""

_IN_MEMORY_CHARS = 512
"""The longest column MariaDB keeps in an in-memory internal temporary table."""

_EVERY_SEQ = "9223372036854775807"
_PG_DENIED = "42501"  # insufficient_privilege
_MYSQL_DENIED = {1044, 1142, 1227, 1370}  # no CREATE ROUTINE / EXECUTE privilege


@functools.cache
def routine_names(t: Tables) -> dict[str, str]:
    """The routine of each of :data:`OPERATIONS` on ``t``."""
    prefix = t.sessions.name.removesuffix("sessions")
    return {op: f"{prefix}{op}_v{SCHEMA_VERSION}_{REVISION}" for op in OPERATIONS}


@functools.cache
def calls(t: Tables, mariadb: bool) -> Calls:
    """How to call the routines of ``t``."""
    arity = {"pop": 5, "rewind": 6, "compress": 8, "fork": 8}
    names = routine_names(t)
    shape = "CALL {}({})" if mariadb else "SELECT * FROM {}({})"
    return Calls(**{op: shape.format(names[op], ", ".join("?" * arity[op])) for op in OPERATIONS})


_RAISED = "P0001"  # PostgreSQL's SQLSTATE of RAISE EXCEPTION
_SIGNALLED = 1644  # MariaDB's error code of SIGNAL SQLSTATE '45000'


def signalled(error: BaseException) -> MemmarkError | None:
    """The memmark error a routine raised as ``error``, if it is one.

    Only an error the routine raised itself counts (RAISE, SIGNAL): another's message may
    quote stored values.
    """
    args = getattr(error, "args", ())
    if getattr(error, "sqlstate", None) != _RAISED and not (args and args[0] == _SIGNALLED):
        return None
    text = str(error)
    if COLLISION in text:
        return collision()
    conflict = _CONFLICT_TEXT.search(text)
    if conflict is not None:
        return ConflictError(int(conflict[1]), int(conflict[2]))
    return None


def _into(select: str, *variables: str) -> str:
    """A ``SELECT`` storing its row into ``variables`` (``INTO`` before ``FROM``)."""
    columns, from_, rest = select.partition(" FROM ")
    return f"{columns} INTO {', '.join(variables)}{from_}{rest}"


def _read_source(st: Statements) -> str:
    """The fork's read of its source session (and of ``upto``'s seq) into its variables."""
    variables = ("v_source", "v_source_user", "v_source_session", "v_summary", "v_upto")
    return _into(bound(st.source, "p_upto", "p_key"), *variables)


def _marked(st: Statements) -> str:
    """Whether the fork's source holds a mark up to ``v_last`` (a probe of the index)."""
    return f"SELECT 1 FROM {st.t.marks.name} WHERE session_ref = v_source AND seq <= v_last"


@functools.cache
def definitions(st: Statements) -> tuple[str, ...]:
    """The statements creating the routines of ``st``'s tables, in ``st``'s database."""
    return tuple(_mariadb(st) if st.mariadb else _postgres(st))


_PG_ROW = "v_ref, v_user, v_session, v_next, v_changes, v_summarised"
_PG_DECLARE = """
    v_ref bigint; v_user text; v_session text; v_next bigint; v_changes bigint;
    v_summarised boolean;"""
_PG_CHECK = f"""
    IF v_ref IS NOT NULL AND (v_user <> p_user OR v_session <> p_session) THEN
        RAISE EXCEPTION '{COLLISION}';
    END IF;
    IF p_expected IS NOT NULL AND p_expected <> coalesce(v_next + v_changes, 0) THEN
        RAISE EXCEPTION '{_CONFLICT}: expected %, current %',
            p_expected, coalesce(v_next + v_changes, 0);
    END IF;"""
_PG_SESSION = "p_key text, p_user text, p_session text, p_now timestamp, p_expected bigint"


def _pg_function(name: str, arguments: str, returns: str, declare: str, body: str) -> str:
    """A PL/pgSQL function whose statements keep one generic plan each.

    Every statement finds its rows by a key (the session's), so the generic plan is the
    right one; left to choose, PostgreSQL may plan some again on every call (as it did the
    ``= ANY`` of ``compress``: 1.3x slower once the tables had statistics).
    """
    return (
        f"CREATE OR REPLACE FUNCTION {name}({arguments}) {returns} LANGUAGE plpgsql "
        "VOLATILE SECURITY INVOKER SET plan_cache_mode = force_generic_plan "
        f"AS $routine$\nDECLARE{declare}\nBEGIN{body}\nEND\n$routine$"
    )


def _postgres(st: Statements) -> list[str]:
    names = routine_names(st.t)
    lock = f"""
    {bound(st.lock_existing, "p_now", "p_key")} INTO {_PG_ROW};{_PG_CHECK}"""
    lock_or_create = f"""
    {bound(st.lock_or_create, "p_key", "p_user", "p_session", "p_now")} INTO {_PG_ROW};"""
    count_change = bound(st.count_change, "v_ref")
    pop = _pg_function(
        names["pop"],
        f"{_PG_SESSION}, OUT r_msg_id text, OUT r_payload text, OUT r_marks text",
        "",
        f"{_PG_DECLARE} v_seq bigint;",
        f"""{lock}
    IF v_ref IS NULL THEN RETURN; END IF;
    SELECT max(seq) INTO v_seq FROM {st.t.messages.name} WHERE session_ref = v_ref;
    IF v_seq IS NULL THEN RETURN; END IF;
    WITH popped AS ({bound(st.delete_marks_from, "v_ref", "v_seq")} RETURNING mark)
        SELECT json_agg(mark)::text INTO r_marks FROM popped;
    {bound(st.pop_message, "v_ref", "v_ref")} INTO r_msg_id, r_payload;
    {count_change};""",
    )
    rewind = _pg_function(
        names["rewind"],
        f"{_PG_SESSION}, p_msg_id text",
        "RETURNS bigint",
        f"{_PG_DECLARE} v_seq bigint; v_removed bigint := 0;",
        f"""{lock}
    IF v_ref IS NULL THEN RETURN 0; END IF;
    {_into(bound(st.find, "v_ref", "p_msg_id"), "v_seq")};
    IF v_seq IS NULL THEN RETURN 0; END IF;
    {bound(st.delete_marks_from, "v_ref", "v_seq")};
    {bound(st.delete_messages_from, "v_ref", "v_seq")};
    GET DIAGNOSTICS v_removed = ROW_COUNT;
    IF v_removed > 0 THEN {count_change}; END IF;
    RETURN v_removed;""",
    )
    ids = "= ANY (p_ids)"
    marked = _marked(st)
    compress = _pg_function(
        names["compress"],
        f"{_PG_SESSION}, p_summary text, p_ids text[], p_mark text",
        "RETURNS bigint",
        f"{_PG_DECLARE} v_resummarised boolean := false; v_changed bigint := 0;",
        f"""
    IF p_summary <> '' THEN{lock_or_create}{_PG_CHECK}
    ELSE{lock}
    END IF;
    IF v_ref IS NULL THEN RETURN 0; END IF;
    IF ({bound(st.summary, "v_ref")}) <> p_summary THEN
        {bound(st.set_summary, "p_summary", "v_ref")};
        v_resummarised := true;
    END IF;
    IF cardinality(p_ids) > 0 AND p_mark IS NULL THEN
        {bound(st.remove_marks_of(ids), "v_ref", "v_ref")};
        {bound(st.remove_messages(ids), "v_ref")};
        GET DIAGNOSTICS v_changed = ROW_COUNT;
    ELSIF cardinality(p_ids) > 0 THEN
        {bound(st.gain_mark(ids), "p_mark", "v_ref", "v_ref", "p_mark")};
        GET DIAGNOSTICS v_changed = ROW_COUNT;
    END IF;
    IF v_changed > 0 OR v_resummarised THEN {count_change}; END IF;
    RETURN v_changed;""",
    )
    fork = _pg_function(
        names["fork"],
        "p_key text, p_user text, p_session text, p_upto text, "
        "p_target text, p_target_user text, p_target_session text, p_now timestamp",
        "RETURNS text",
        f"""{_PG_DECLARE} v_source bigint; v_source_user text; v_source_session text;
    v_summary text; v_upto bigint; v_last bigint; v_copied bigint := 0;""",
        f"""
    {_read_source(st)};
    IF v_source IS NOT NULL AND (v_source_user <> p_user OR v_source_session <> p_session)
    THEN
        RAISE EXCEPTION '{COLLISION}';
    END IF;
    IF p_upto IS NOT NULL AND v_upto IS NULL THEN RETURN 'upto'; END IF;
    v_last := coalesce(v_upto, {_EVERY_SEQ});
    v_summary := coalesce(v_summary, '');
    {bound(st.lock_or_create, "p_target", "p_target_user", "p_target_session", "p_now")}
        INTO {_PG_ROW};
    IF v_user <> p_target_user OR v_session <> p_target_session THEN
        RAISE EXCEPTION '{COLLISION}';
    END IF;
    IF v_summarised OR (v_next > 0 AND ({bound(st.holds_messages, "v_ref")})) THEN
        RETURN 'held';
    END IF;
    IF v_source IS NOT NULL THEN
        {bound(st.copy_messages, "v_ref", "v_next", "v_source", "v_last")};
        GET DIAGNOSTICS v_copied = ROW_COUNT;
    END IF;
    {
            bound(
                st.reserve,
                "v_copied",
                "v_summary",
                "CASE WHEN v_summary <> '' THEN 1 ELSE 0 END",
                "v_ref",
            )
        };
    IF v_copied > 0 AND EXISTS ({marked}) THEN
        {bound(st.copy_marks, "v_ref", "v_source", "v_last")};
    END IF;
    RETURN 'copied';""",
    )
    return [pop, rewind, compress, fork]


_MY_ID = "VARBINARY(4096)"
_MY_TEXT = "LONGTEXT CHARACTER SET utf8mb4"
_MY_ROW = "v_ref, v_user, v_session, v_next, v_changes, v_summarised"
_MY_DECLARE = f"""
    DECLARE v_ref, v_next, v_changes BIGINT;
    DECLARE v_user, v_session {_MY_ID};
    DECLARE v_summarised BOOLEAN;
    DECLARE v_error VARCHAR(128);"""
_MY_HANDLERS = """
    DECLARE CONTINUE HANDLER FOR NOT FOUND BEGIN END;  -- a SELECT ... INTO of no row
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;"""
_MY_CHECK = f"""
        IF v_ref IS NOT NULL AND (v_user <> p_user OR v_session <> p_session) THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{COLLISION}';
        END IF;
        IF p_expected IS NOT NULL AND p_expected <> coalesce(v_next + v_changes, 0) THEN
            SET v_error = CONCAT('{_CONFLICT}: expected ', p_expected, ', current ',
                coalesce(v_next + v_changes, 0));
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_error;
        END IF;"""
_MY_SESSION = (
    f"IN p_key VARCHAR(64), IN p_user {_MY_ID}, IN p_session {_MY_ID}, "
    "IN p_now DATETIME(6), IN p_expected BIGINT"
)


def _my_procedure(name: str, arguments: str, declare: str, body: str, result: str) -> str:
    """A procedure: one transaction, then its result as one row (after the COMMIT)."""
    return (
        f"CREATE PROCEDURE IF NOT EXISTS {name}({arguments})\n"
        f"MODIFIES SQL DATA SQL SECURITY INVOKER\nBEGIN{_MY_DECLARE}{declare}{_MY_HANDLERS}\n"
        f"    START TRANSACTION;\n    work: BEGIN{body}\n    END work;\n    COMMIT;\n"
        f"    SELECT {result};\nEND"
    )


def _mariadb(st: Statements) -> list[str]:
    names = routine_names(st.t)
    lock = f"""
        {_into(bound(st.lock_existing, "p_key"), _MY_ROW)};{_MY_CHECK}"""
    lock_or_create = f"""
        {bound(st.upsert, "p_key", "p_user", "p_session", "p_now")};
        {_into(bound(st.lock_existing, "p_key"), _MY_ROW)};"""
    m, k = st.t.messages.name, st.t.marks.name
    pop = _my_procedure(
        names["pop"],
        _MY_SESSION,
        f"""
    DECLARE v_seq BIGINT;
    DECLARE r_msg_id {_MY_ID};
    DECLARE r_payload, r_marks {_MY_TEXT};""",
        f"""{lock}
        IF v_ref IS NULL THEN LEAVE work; END IF;
        SELECT max(seq) INTO v_seq FROM {m} WHERE session_ref = v_ref;
        IF v_seq IS NOT NULL THEN
            SELECT msg_id, payload INTO r_msg_id, r_payload FROM {m}
                WHERE session_ref = v_ref AND seq = v_seq;
            IF EXISTS (SELECT 1 FROM {k} WHERE session_ref = v_ref AND seq = v_seq) THEN
                -- an aggregate costs several times the probe; JSON_ARRAYAGG more still
                SELECT CONCAT('[', GROUP_CONCAT(JSON_QUOTE(CONVERT(mark USING utf8mb4))), ']')
                    INTO r_marks FROM {k} WHERE session_ref = v_ref AND seq = v_seq;
            END IF;
            {bound(st.delete_marks_from, "v_ref", "v_seq")};
            {bound(st.delete_messages_from, "v_ref", "v_seq")};
        END IF;
        {bound(st.stamp, "p_now", "(v_seq IS NOT NULL)", "v_ref")};""",
        "r_msg_id, r_payload, r_marks",
    )
    rewind = _my_procedure(
        names["rewind"],
        f"{_MY_SESSION}, IN p_msg_id {_MY_ID}",
        """
    DECLARE v_seq BIGINT;
    DECLARE v_removed BIGINT DEFAULT 0;""",
        f"""{lock}
        IF v_ref IS NULL THEN LEAVE work; END IF;
        {_into(bound(st.find, "v_ref", "p_msg_id"), "v_seq")};
        IF v_seq IS NOT NULL THEN
            {bound(st.delete_marks_from, "v_ref", "v_seq")};
            {bound(st.delete_messages_from, "v_ref", "v_seq")};
            SET v_removed = ROW_COUNT();
        END IF;
        {bound(st.stamp, "p_now", "(v_removed > 0)", "v_ref")};""",
        "v_removed",
    )
    marked = _marked(st)
    # The chosen ids joined first, not in an IN (subquery): MariaDB (before 11.1) evaluates
    # the subquery of a DELETE for each row; left to choose, it joined the session's marks
    # first, or found a message's marks by the session alone (the primary key's first
    # column): 1.1-1.7 s to delete the marks of 1,500 of 3,000 messages; this way, 10 ms.
    chosen = (
        "JSON_TABLE(p_ids, '$[*]' COLUMNS (id VARCHAR(255) CHARACTER SET utf8mb4 PATH '$')) "
        f"AS chosen STRAIGHT_JOIN {m} AS chosen_message ON chosen_message.session_ref = v_ref "
        "AND chosen_message.msg_id = CAST(chosen.id AS BINARY)"
    )
    by_seq = next(
        index.name
        for index in st.t.marks.indexes
        if [column.name for column in index.columns] == ["session_ref", "seq"]
    )
    remove_marks = (
        f"DELETE {k} FROM {chosen} STRAIGHT_JOIN {k} FORCE INDEX ({by_seq}) "
        f"ON {k}.session_ref = v_ref AND {k}.seq = chosen_message.seq"
    )
    remove_messages = f"DELETE chosen_message FROM {chosen}"
    gain_mark = (
        f"INSERT INTO {k} (session_ref, mark, seq) SELECT v_ref, p_mark, chosen_message.seq "
        f"FROM {chosen} WHERE NOT EXISTS (SELECT 1 FROM {k} AS holder "
        "WHERE holder.session_ref = v_ref AND holder.mark = p_mark "
        "AND holder.seq = chosen_message.seq)"
    )
    compress = _my_procedure(
        names["compress"],
        f"{_MY_SESSION}, IN p_summary {_MY_TEXT}, IN p_ids {_MY_TEXT}, IN p_mark {_MY_ID}",
        """
    DECLARE v_resummarised BOOLEAN DEFAULT FALSE;
    DECLARE v_changed BIGINT DEFAULT 0;""",
        f"""
        IF p_summary <> '' THEN{lock_or_create}{_MY_CHECK}
        ELSE{lock}
        END IF;
        IF v_ref IS NULL THEN LEAVE work; END IF;
        IF BINARY ({bound(st.summary, "v_ref")}) <> BINARY p_summary THEN  -- not folding case
            {bound(st.set_summary, "p_summary", "v_ref")};
            SET v_resummarised = TRUE;
        END IF;
        IF JSON_LENGTH(p_ids) > 0 AND p_mark IS NULL THEN
            {remove_marks};
            {remove_messages};
            SET v_changed = ROW_COUNT();
        ELSEIF JSON_LENGTH(p_ids) > 0 THEN
            {gain_mark};
            SET v_changed = ROW_COUNT();
        END IF;
        {bound(st.stamp, "p_now", "(v_changed > 0 OR v_resummarised)", "v_ref")};""",
        "v_changed",
    )
    # MariaDB copies rows within one table through an internal temporary table, in memory
    # only while no column is longer than 512 characters (else in its disk engine, Aria,
    # twice the cost): a copy of short payloads reads them as such.
    long_payload = (
        f"SELECT 1 FROM {m} WHERE session_ref = v_source AND seq <= v_last "
        f"AND CHAR_LENGTH(payload) > {_IN_MEMORY_CHARS}"
    )
    short_copy = st.copy_messages_as(f"CAST(payload AS CHAR({_IN_MEMORY_CHARS}))")
    fork = _my_procedure(
        names["fork"],
        f"IN p_key VARCHAR(64), IN p_user {_MY_ID}, IN p_session {_MY_ID}, IN p_upto {_MY_ID}, "
        f"IN p_target VARCHAR(64), IN p_target_user {_MY_ID}, IN p_target_session {_MY_ID}, "
        "IN p_now DATETIME(6)",
        f"""
    DECLARE v_source, v_upto BIGINT;
    DECLARE v_last BIGINT DEFAULT {_EVERY_SEQ};
    DECLARE v_copied BIGINT DEFAULT 0;
    DECLARE v_source_user, v_source_session {_MY_ID};
    DECLARE v_summary {_MY_TEXT};
    DECLARE r_outcome VARCHAR(8) DEFAULT 'copied';""",
        f"""
        {_read_source(st)};
        IF v_source IS NOT NULL
            AND (v_source_user <> p_user OR v_source_session <> p_session) THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{COLLISION}';
        END IF;
        IF p_upto IS NOT NULL AND v_upto IS NULL THEN
            SET r_outcome = 'upto';
            LEAVE work;
        END IF;
        SET v_last = coalesce(v_upto, v_last), v_summary = coalesce(v_summary, '');
        {bound(st.upsert, "p_target", "p_target_user", "p_target_session", "p_now")};
        {_into(bound(st.lock_existing, "p_target"), _MY_ROW)};
        IF v_user <> p_target_user OR v_session <> p_target_session THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{COLLISION}';
        END IF;
        IF v_summarised OR (v_next > 0 AND ({bound(st.holds_messages, "v_ref")})) THEN
            SET r_outcome = 'held';
            LEAVE work;
        END IF;
        IF v_source IS NOT NULL AND EXISTS ({long_payload}) THEN
            {bound(st.copy_messages, "v_ref", "v_next", "v_source", "v_last")};
            SET v_copied = ROW_COUNT();
        ELSEIF v_source IS NOT NULL THEN  -- the same rows through an in-memory table
            {bound(short_copy, "v_ref", "v_next", "v_source", "v_last")};
            SET v_copied = ROW_COUNT();
        END IF;
        {bound(st.reserve, "v_copied", "v_summary", "(v_summary <> '')", "v_ref")};
        IF v_copied > 0 AND EXISTS ({marked}) THEN  -- the probe costs less than the copy
            {bound(st.copy_marks, "v_ref", "v_source", "v_last")};
        END IF;""",
        "r_outcome",
    )
    return [pop, rewind, compress, fork]


_created: weakref.WeakKeyDictionary[Engine, dict[str, bool]] = weakref.WeakKeyDictionary()
_locks: weakref.WeakKeyDictionary[Engine, asyncio.Lock] = weakref.WeakKeyDictionary()


def _denied(dialect: Dialect, error: sa_exc.DBAPIError) -> bool:
    orig = error.orig
    if dialect.name == "postgresql":
        state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        return state == _PG_DENIED
    args: tuple[Any, ...] = getattr(orig, "args", ())
    return bool(args) and args[0] in _MYSQL_DENIED


async def create_once(engine: AsyncEngine, key: str, creating: Sequence[str]) -> bool:
    """Run the ``creating`` statements once per engine and ``key``; false if not allowed.

    On MariaDB each is a ``CREATE PROCEDURE IF NOT EXISTS`` (its "already exists" note
    silenced: drivers fetch and log notes); on PostgreSQL each a ``CREATE OR REPLACE``, run
    in one transaction under an advisory lock, as concurrent replacements of one function
    fail.
    """
    sync_engine = engine.sync_engine
    known = _created.get(sync_engine, {})
    if key in known:
        return known[key]
    async with _locks.setdefault(sync_engine, asyncio.Lock()):
        if key not in _created.get(sync_engine, {}):
            try:
                await _create(engine, key, creating)
                allowed = True
            except sa_exc.DBAPIError as exc:
                if not _denied(engine.dialect, exc):
                    raise
                allowed = False
            _created.setdefault(sync_engine, {})[key] = allowed
    return _created[sync_engine][key]


async def _create(engine: AsyncEngine, key: str, creating: Sequence[str]) -> None:
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            lock = sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))")
            await conn.execute(lock, {"key": f"memmark routines {key}"})
            for statement in creating:
                await conn.exec_driver_sql(statement)
        return
    async with engine.connect() as conn:
        for statement in creating:
            await conn.exec_driver_sql(f"SET STATEMENT sql_notes = 0 FOR {statement}")


def serves(dialect: Dialect) -> bool:
    """Whether the dialect's operations can run as routines (asyncpg; MariaDB >= 10.6)."""
    if dialect.driver == "asyncpg":
        return True
    if dialect.driver in ("asyncmy", "aiomysql"):
        mariadb = bool(getattr(dialect, "is_mariadb", False))
        return mariadb and tuple(dialect.server_version_info or ()) >= (10, 6)
    return False


async def ready(engine: AsyncEngine, st: Statements) -> bool:
    """Whether the routines of ``st``'s tables exist (created now if need be) and serve."""
    if not serves(engine.dialect):
        return False
    return await create_once(engine, _key(st.t), definitions(st))


@functools.cache
def _key(t: Tables) -> str:
    return ",".join(routine_names(t).values())
