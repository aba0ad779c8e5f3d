"""Exit 0 when a PostgreSQL server answers at the given URL, 1 otherwise."""

import sys

import psycopg


def main(url: str) -> int:
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("select 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        print(f"PostgreSQL not reachable at {url}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
