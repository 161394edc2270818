#!/usr/bin/env python3
"""An asyncio echo server that keeps every connection open: the server side
of 70-scale.sh, run under ustack-run. Usage: hold_server.py ADDR PORT.
It answers each byte it reads with the same byte and holds the connection
until the peer closes it; it prints nothing (the test asks ustackctl)."""
import asyncio
import sys


async def handle(reader, writer):
    try:
        while True:
            data = await reader.read(4096)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main():
    # a real server's backlog (nginx, redis: 511), not asyncio's 100
    server = await asyncio.start_server(handle, sys.argv[1], int(sys.argv[2]),
                                        backlog=4096)
    async with server:
        await server.serve_forever()

asyncio.run(main())
