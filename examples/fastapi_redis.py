"""The AgentScope memory tutorial's FastAPI pattern for Redis, as a runnable app.

One ``ConnectionPool`` is created in the app's lifespan and shared; each request builds a
``RedisMemory(connection_pool=...)`` for its user and session. The agent is replaced by an
echo so the app runs without an LLM::

    uvicorn examples.fastapi_redis:app   # then POST /chat_endpoint?user_id=u&session_id=s&input=hi

``REDIS_HOST`` / ``REDIS_PORT`` / ``MEMMARK_KEY_PREFIX`` select the server and key prefix.
"""

import os
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException
from redis.asyncio import ConnectionPool

from memmark.memory import RedisMemory
from memmark.message import Msg

KEY_PREFIX = os.environ.get("MEMMARK_KEY_PREFIX", "memmark")

# Global Redis connection pool
redis_pool: ConnectionPool | None = None


# Use the lifespan event to manage the Redis connection pool
@asynccontextmanager
async def lifespan(app: FastAPI):
    global redis_pool
    redis_pool = ConnectionPool(
        host=os.environ.get("REDIS_HOST", "localhost"),
        port=int(os.environ.get("REDIS_PORT", "6379")),
        db=0,
        password=None,
        decode_responses=True,
        max_connections=10,
        encoding="utf-8",
    )
    print("✅ Redis connection established")
    yield
    await redis_pool.disconnect()
    print("✅ Redis connection closed")


app = FastAPI(lifespan=lifespan)


@app.post("/chat_endpoint")
async def chat_endpoint(user_id: str, session_id: str, input: str):
    """A chat endpoint"""
    global redis_pool
    if redis_pool is None:
        raise HTTPException(
            status_code=500,
            detail="Redis connection pool is not initialized.",
        )

    # Create the Redis memory
    memory = RedisMemory(
        connection_pool=redis_pool,
        user_id=user_id,
        session_id=session_id,
        key_prefix=KEY_PREFIX,
    )

    # The agent would run here; an echo stands in for it
    await memory.add(Msg("user", input, "user"))
    await memory.add(Msg("assistant", f"echo: {input}", "assistant"), marks="reply")
    history = [msg.get_text_content() for msg in await memory.get_memory()]

    # Close the Redis client connection when done (the shared pool stays open)
    client = memory.get_client()
    await client.aclose()
    return {"history": history, "size": len(history)}
