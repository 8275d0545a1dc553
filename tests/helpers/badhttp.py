#!/usr/bin/env python3
"""tests/helpers/badhttp.py MODE - a hostile HTTP server on 127.0.0.1 for
tests/t_dumps_bad.sh.  Prints "port N" once listening, serves until killed
(or 60 s).  MODE: stall (accepts, never answers), reset (accepts, resets
the connection), endless (an endless body), huge (says 10 GB), 404,
redirect (to /dump, which serves the file in $BADHTTP_FILE), slow (the
dump, one byte every 2 s), short (says 100000 bytes, sends 60, closes),
tls (HTTPS with the certificate and key in $BADHTTP_CERT, $BADHTTP_KEY:
the dump above; self-signed, which a client must refuse unless it trusts
the certificate)."""
import os, socket, ssl, struct, sys, threading, time

mode = sys.argv[1]
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(16)
print("port", srv.getsockname()[1], flush=True)
deadline = time.time() + 60

def serve(c):
    try:
        c.settimeout(30)
        if mode == "tls":
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(os.environ["BADHTTP_CERT"], os.environ["BADHTTP_KEY"])
            c = ctx.wrap_socket(c, server_side=True)
        req = b""
        while b"\r\n\r\n" not in req and len(req) < 65536:
            d = c.recv(4096)
            if not d:
                return
            req += d
        path = req.split(b" ")[1] if b" " in req else b"/"
        if mode == "stall":
            time.sleep(30)
        elif mode == "reset":
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif mode == "endless":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
            chunk = b"goroutine 1 [running]:\nmain.main()\n\t/x.go:1 +0x1\n\n" * 1000
            while time.time() < deadline:
                c.sendall(chunk)
        elif mode == "huge":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10737418240\r\n\r\ngoroutine 1 [running]:\n")
            time.sleep(5)
        elif mode == "short":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\ngoroutine 1 [running]:\nmain.main()\n\t/x.go:1 +0x1\n\n")
        elif mode == "tls":
            body = b"goroutine 1 [running]:\nmain.main()\n\t/x.go:1 +0x1\n\n"
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        elif mode == "404":
            c.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 19\r\n\r\n404 page not found\n")
        elif mode == "redirect":
            if path.startswith(b"/dump"):
                body = open(os.environ["BADHTTP_FILE"], "rb").read()
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            else:
                c.sendall(b"HTTP/1.1 302 Found\r\nLocation: /dump\r\nContent-Length: 0\r\n\r\n")
    except OSError:
        pass
    finally:
        c.close()

while time.time() < deadline:
    srv.settimeout(max(0.1, deadline - time.time()))
    try:
        c, _ = srv.accept()
    except OSError:
        break
    threading.Thread(target=serve, args=(c,), daemon=True).start()
