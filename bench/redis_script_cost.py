#!/usr/bin/env python3
"""What a Lua script costs inside Redis, replayed from captured traffic.

Replays the EVALSHA calls of a MONITOR capture (one of the services' scripts, chosen by a
string its calls carry, e.g. a key prefix) with the source of a script of your choice against a
scratch redis-server on loopback, FLUSHALL after each call so that every call meets the same
(empty) keyspace whatever ran before it, and prints Redis's own time per call (INFO
commandstats: evalsha usec_per_call) and Redis's CPU per call. Comparing two versions of a script on the same traffic isolates the script's
cost from everything else on the machine. bench/README.md (notify_latency_bench, "At 1,000
reports/s") shows how to capture.

  bench/redis_script_cost.py --port 6399 --script a.lua --monitor monitor.txt --match fg:hazards:audit

The scratch server is FLUSHALLed: never point it at a Redis that holds anything.
"""
import argparse
import re
import socket
import sys


def unrepr(s):
    """Undoes MONITOR's quoting of one argument (sdscatrepr)."""
    out = bytearray()
    i = 0
    escapes = {'n': 10, 'r': 13, 't': 9, 'a': 7, 'b': 8, '\\': 92, '"': 34}
    while i < len(s):
        c = s[i]
        if c == '\\':
            n = s[i + 1]
            if n == 'x':
                out.append(int(s[i + 2:i + 4], 16))
                i += 4
                continue
            out.append(escapes[n])
            i += 2
            continue
        out += c.encode('utf-8')
        i += 1
    return bytes(out)


def monitor_args(line):
    body = line.split('] ', 1)[1]
    return [unrepr(m) for m in re.findall(r'"((?:[^"\\]|\\.)*)"', body)]


class Connection:
    def __init__(self, port):
        self.sock = socket.create_connection(('127.0.0.1', port))
        self.buf = b''

    def _line(self):
        while b'\r\n' not in self.buf:
            self.buf += self.sock.recv(65536)
        line, self.buf = self.buf.split(b'\r\n', 1)
        return line

    def _reply(self):
        line = self._line()
        kind = line[:1]
        if kind in b'+-:':
            return line
        if kind == b'$':
            n = int(line[1:])
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(65536)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if kind == b'*':
            return [self._reply() for _ in range(max(int(line[1:]), 0))]
        raise RuntimeError(f'unexpected reply {line!r}')

    @staticmethod
    def _encode(args):
        parts = [b'*%d\r\n' % len(args)]
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            parts.append(b'$%d\r\n%s\r\n' % (len(a), a))
        return b''.join(parts)

    def command(self, *args):
        self.sock.sendall(self._encode(args))
        return self._reply()


def redis_cpu_us(c):
    """Redis's main thread CPU so far (user + system), in microseconds."""
    info = c.command('INFO', 'cpu').decode()
    user = float(re.search(r'used_cpu_user_main_thread:([\d.]+)', info).group(1))
    system = float(re.search(r'used_cpu_sys_main_thread:([\d.]+)', info).group(1))
    return (user + system) * 1e6


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--port', type=int, required=True, help='a scratch redis-server on 127.0.0.1')
    p.add_argument('--script', required=True, help='the Lua source to run')
    p.add_argument('--monitor', required=True, help='a MONITOR capture')
    p.add_argument('--match', required=True, help='replay the EVALSHA calls holding this string')
    p.add_argument('--rounds', type=int, default=3, help='times to replay the calls')
    a = p.parse_args()
    calls = [monitor_args(l) for l in open(a.monitor, encoding='utf-8', errors='replace')
             if '"EVALSHA"' in l and '[0 lua]' not in l and a.match in l]
    if not calls:
        sys.exit(f'no EVALSHA call holding {a.match!r} in {a.monitor}')
    c = Connection(a.port)
    sha = c.command('SCRIPT', 'LOAD', open(a.script).read()).decode()
    c.command('FLUSHALL')
    c.command('CONFIG', 'RESETSTAT')
    errors = 0
    cpu_start = redis_cpu_us(c)
    for _ in range(a.rounds):
        for args in calls:
            reply = c.command('EVALSHA', sha, args[2], *args[3:])
            errors += isinstance(reply, bytes) and reply.startswith(b'-')
            c.command('FLUSHALL')
    n = len(calls) * a.rounds
    # Redis's whole CPU per call (reading and parsing the request included, and the FLUSHALL
    # after it).
    cpu_per_call = (redis_cpu_us(c) - cpu_start) / n
    stats = c.command('INFO', 'commandstats').decode()
    m = re.search(r'cmdstat_evalsha:calls=(\d+),usec=(\d+),usec_per_call=([\d.]+)', stats)
    print(f'{a.script} on {len(calls)} captured calls x {a.rounds}: {m.group(3)} us in Redis per '
          f'call (EVALSHA\'s own time), {cpu_per_call:.0f} us of Redis CPU per call '
          f'({m.group(1)} calls, {errors} error replies)')
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
