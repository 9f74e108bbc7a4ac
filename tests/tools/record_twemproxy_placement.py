#!/usr/bin/env python3
"""Records where a real nutcracker (twemproxy) places keys, for
src/memcache/placement_vectors.inc (the placement unit tests).

    tests/tools/record_twemproxy_placement.py > src/memcache/placement_vectors.inc

For each case it starts memcached servers on loopback (or unix sockets in a
fixed directory, since a socket's path is part of its ketama name), starts
Debian's nutcracker in front of them with the case's distribution, hash and
server list, stores every test key through nutcracker, then asks each
memcached directly which keys it holds.  The output is a C++ table: per case
the nutcracker server lines and, per key, the index of the server (in
configuration order) that holds it.  Everything listens on loopback only and
is stopped by pid; nothing is left behind.

The keys are those of VectorKeys() in src/memcache/continuum_test.cc: keep the
two in step.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SOCKET_DIR = "/tmp/mctable-twemproxy-vectors"


def vector_keys():
    keys = [b"k%d" % i for i in range(300)]
    keys += [b"user%d@example%d.com" % (i, i % 7) for i in range(60)]
    # Every tail length of the 4- and 12-byte block hashes, and bytes >= 0x80
    # (which twemproxy's signed-char hashes sign-extend).
    keys += [b"x" * n for n in range(1, 26)]
    keys += [b"\xc3\xa9t\xc3\xa9-%d" % i for i in range(20)]
    keys += [b"\xff\x80\x7e" * (1 + i % 5) + b"%d" % i for i in range(20)]
    keys += [b"{tag%d}rest%d" % (i % 3, i) for i in range(30)]
    keys += [b"L" * 250]
    return keys


def free_port(host="127.0.0.1"):
    s = socket.socket()
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_connect(address, deadline=5.0):
    end = time.time() + deadline
    while time.time() < end:
        try:
            family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
            s = socket.socket(family)
            s.settimeout(1)
            s.connect(address)
            return s
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("nothing listens on %r" % (address,))


def command(sock, data, until):
    sock.sendall(data)
    reply = b""
    while not reply.endswith(until):
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed after %r" % data[:60])
        reply += chunk
    return reply


class Processes:
    def __init__(self):
        self.pids = []

    def start(self, argv, **kw):
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, **kw)
        self.pids.append(p)
        return p

    def stop_all(self):
        for p in self.pids:
            p.send_signal(signal.SIGKILL)
            p.wait()
        self.pids = []


def memcached(procs, address):
    argv = ["memcached", "-U", "0", "-m", "16", "-c", "64"]
    if os.geteuid() == 0:
        argv += ["-u", "root"]
    if isinstance(address, str):
        argv += ["-s", address]
    else:
        argv += ["-l", address[0], "-p", str(address[1])]
    procs.start(argv)
    wait_connect(address).close()


def record(case, work):
    """case: (name, distribution, hash, hash_tag, servers, dead); servers
    are (address, weight, name) with address (host, port) or a socket path."""
    name, distribution, hash_name, hash_tag, servers, dead = case
    procs = Processes()
    try:
        lines = []
        for i, (address, weight, point_name) in enumerate(servers):
            if i not in dead:
                memcached(procs, address)
            text = address if isinstance(address, str) else "%s:%d" % address
            text += ":%d" % weight
            if point_name:
                text += " " + point_name
            lines.append(text)
        listen = free_port()
        conf = ["pool:", "  listen: 127.0.0.1:%d" % listen, "  distribution: " + distribution,
                "  hash: " + hash_name, "  timeout: 2000"]
        if hash_tag:
            conf.append('  hash_tag: "%s"' % hash_tag)
        if dead:
            conf += ["  auto_eject_hosts: true", "  server_failure_limit: 1",
                     "  server_retry_timeout: 600000"]
        conf.append("  servers:")
        conf += ["    - " + line for line in lines]
        path = os.path.join(work, name + ".yml")
        with open(path, "w") as f:
            f.write("\n".join(conf) + "\n")
        procs.start(["nutcracker", "-c", path, "-s", str(free_port()), "-a", "127.0.0.1",
                     "-p", os.path.join(work, name + ".pid"), "-o", os.path.join(work, name + ".log")])
        proxy = wait_connect(("127.0.0.1", listen))
        if dead:
            # Touch the dead servers until nutcracker has ejected them all:
            # a request to one fails once (server_failure_limit 1) and it
            # leaves the continuum.
            ejected = 0
            for i in range(10000):
                if ejected == len(dead):
                    break
                reply = command(proxy, b"get probe%d\r\n" % i, b"\r\n")
                if reply.startswith(b"SERVER_ERROR"):
                    ejected += 1
                    proxy.close()
                    proxy = wait_connect(("127.0.0.1", listen))
            if ejected != len(dead):
                raise RuntimeError("nutcracker did not eject the dead servers")
        for key in vector_keys():
            reply = command(proxy, b"set " + key + b" 0 0 1\r\nv\r\n", b"\r\n")
            if reply != b"STORED\r\n":
                raise RuntimeError("%s: set %r through nutcracker: %r" % (name, key, reply))
        proxy.close()
        holders = []
        direct = [None if i in dead else wait_connect(a) for i, (a, _, _) in enumerate(servers)]
        for key in vector_keys():
            found = [i for i, s in enumerate(direct)
                     if s and command(s, b"get " + key + b"\r\n", b"END\r\n").startswith(b"VALUE")]
            if len(found) != 1:
                raise RuntimeError("%s: %r held by %r" % (name, key, found))
            holders.append(str(found[0]))
        for s in direct:
            if s:
                s.close()
        return lines, "".join(holders)
    finally:
        procs.stop_all()


def cases(loopback_11211):
    def inet(n, weights=None, names=None):
        return [(("127.0.0.1", free_port()), (weights or [1] * n)[i], (names or [None] * n)[i])
                for i in range(n)]
    hashes = ["one_at_a_time", "md5", "crc16", "crc32", "crc32a", "fnv1_64", "fnv1a_64",
              "fnv1_32", "fnv1a_32", "hsieh", "murmur", "jenkins"]
    out = [("ketama_" + h, "ketama", h, None, inet(3), []) for h in hashes]
    # modula with 11 entries shows more of each hash value than ketama does
    # (crc32 has 15 bits: under ketama every key lands below the first point).
    out += [("modula_" + h, "modula", h, None, inet(3, [2, 4, 5]), []) for h in hashes]
    out.append(("ketama_weights", "ketama", "md5", None, inet(3, [1, 2, 5]), []))
    out.append(("ketama_weights_fnv1a_64", "ketama", "fnv1a_64", None, inet(4, [3, 1, 1, 2]), []))
    out.append(("ketama_names", "ketama", "fnv1a_64", None,
                inet(3, [1, 1, 2], ["mc-zeta", "alpha", "beta"]), []))
    out.append(("modula_names", "modula", "fnv1a_64", None,
                inet(3, [1, 2, 1], ["server-b", "a", "server-c"]), []))
    out.append(("ketama_hash_tag", "ketama", "md5", "{}", inet(3), []))
    out.append(("ketama_ejected", "ketama", "md5", None, inet(4), [2]))
    out.append(("modula_ejected", "modula", "fnv1a_64", None, inet(4, [1, 2, 1, 1]), [0]))
    os.makedirs(SOCKET_DIR, exist_ok=True)
    out.append(("ketama_unix", "ketama", "md5", None,
                [(SOCKET_DIR + "/mc-a.sock", 1, None), (SOCKET_DIR + "/mc-b.sock", 1, None),
                 (("127.0.0.1", free_port()), 1, None)], []))
    if loopback_11211:
        out.append(("ketama_port_11211", "ketama", "md5", None,
                    [(("127.0.0.2", 11211), 1, None), (("127.0.0.3", 11211), 2, None),
                     (("127.0.0.1", free_port()), 1, None)], []))
    return out


def can_bind(host, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as memcached binds
    try:
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def c_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    for tool in ("memcached", "nutcracker"):
        if shutil.which(tool) is None:
            sys.exit("record_twemproxy_placement.py: %s is not installed" % tool)
    version = subprocess.run(["nutcracker", "-V"], capture_output=True, text=True)
    version = (version.stdout + version.stderr).strip().splitlines()[0]
    loopback_11211 = can_bind("127.0.0.2", 11211) and can_bind("127.0.0.3", 11211)
    work = tempfile.mkdtemp(prefix="mctable-vectors-")
    try:
        print("// Recorded from a real run of %s by" % version)
        print("//   tests/tools/record_twemproxy_placement.py > src/memcache/placement_vectors.inc")
        print("// Per case: distribution, hash, hash_tag, the nutcracker server lines (in")
        print("// order), which of them were dead (ejected), and per key of VectorKeys() the")
        print("// index of the server that held it.  Do not edit; record again.")
        for case in cases(loopback_11211):
            lines, holders = record(case, work)
            name, distribution, hash_name, hash_tag, _, dead = case
            print("{%s, %s, %s, %s," % (c_string(name), c_string(distribution), c_string(hash_name),
                                        c_string(hash_tag or "")))
            print(" {%s}," % ", ".join(c_string(line) for line in lines))
            print(" {%s}," % ", ".join(str(d) for d in dead))
            for i in range(0, len(holders), 100):
                print("  " + c_string(holders[i:i + 100]))
            print("},")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(SOCKET_DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
