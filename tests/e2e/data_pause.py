# data_pause.py SECONDS finish|drop: an SMTP client on 127.0.0.1:2525 that sends a
# message to demo@localhost, stops in the middle of DATA for SECONDS, then either
# ends the message and prints the server's answer (finish) or goes away (drop).
import socket
import sys
import time

s = socket.create_connection(("127.0.0.1", 2525))
f = s.makefile("rb")
f.readline()
for c in (b"HELO x\r\n", b"MAIL FROM:<a@example.net>\r\n", b"RCPT TO:<demo@localhost>\r\n", b"DATA\r\n"):
    s.sendall(c)
    f.readline()
s.sendall(b"Subject: in flight\r\n\r\n" + (b"x" * 998 + b"\r\n") * 100)
time.sleep(float(sys.argv[1]))
if sys.argv[2] == "drop":
    s.close()
else:
    s.sendall(b"the rest\r\n.\r\n")
    print(f.readline().decode().strip())
