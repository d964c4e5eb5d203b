"""A real SMTP server for the tests (Debian's python3-aiosmtpd): it accepts
every message on 127.0.0.1 and writes each one it receives into a folder, as
NNN.eml (the bytes as received) and NNN.json (envelope sender, recipients,
the time it arrived in nanoseconds), each written under a temporary name and
then renamed, so a reader never sees half a message.

Usage: /usr/bin/python3 smtp_sink.py FOLDER [PORT]
PORT 0 (the default) picks a free port; the port is printed as "port N" once
the server listens. Recipients whose local part starts with "reject" are
refused with 550 (a permanent failure), "later" with 451 (a temporary one).
For "slow" ones the message is written at once but the answer to DATA comes
3 seconds later: a sender killed meanwhile never learns it was delivered.
Stops on SIGTERM or SIGINT.
"""
import asyncio
import json
import os
import signal
import sys
import time

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.count = len([f for f in os.listdir(folder) if f.endswith(".eml")])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 no such mailbox"
        if local.startswith("later"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.folder, "%06d" % self.count)
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                "received_ns": time.time_ns()}
        for ext, data in ((".eml", envelope.original_content or envelope.content),
                          (".json", json.dumps(meta).encode())):
            with open(base + ext + ".tmp", "wb") as f:
                f.write(data)
            os.rename(base + ext + ".tmp", base + ext)
        if any(r.lower().startswith("slow") for r in envelope.rcpt_tos):
            await asyncio.sleep(3)
        return "250 2.0.0 queued as %06d" % self.count


async def main():
    folder = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    os.makedirs(folder, exist_ok=True)
    sink = Sink(folder)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="sink.test", decode_data=False, enable_SMTPUTF8=True),
        host="127.0.0.1", port=port, reuse_address=True)
    print("port %d" % server.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()


asyncio.run(main())
