"""What the benchmark scripts share: a fresh PostgreSQL database, percentiles, a free port."""

import socket


def fresh_postgres_database(url: str) -> bool:
    """Drop and create the database `url` names when it is PostgreSQL; False for SQLite."""
    if not url.startswith("postgres"):
        return False
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return True


def percentile(samples, q):
    ordered = sorted(samples)
    return ordered[max(0, int(round(q * len(ordered))) - 1)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
