"""Test certificates made with the openssl command line: a CA, and server and client certificates it signs, in a
directory of the test's own. Nothing here is trusted outside the test that made it."""
import pathlib
import socket
import ssl
import subprocess
import uuid


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class TestCa:
    """A CA of its own (EC P-256 keys, SHA-256 signatures) in `directory`: ca.crt, and each issued name's
    NAME.crt and NAME.key."""

    def __init__(self, directory, name="Gradient Gateway test CA"):
        self.dir = pathlib.Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.prefix = "ca-" + uuid.uuid4().hex[:8]
        _openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-keyout", f"{self.prefix}.key", "-out", f"{self.prefix}.crt", "-days", "2", "-subj", f"/CN={name}",
                 "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
                 cwd=self.dir)
        self.cert = self.dir / f"{self.prefix}.crt"

    def issue(self, name, server=True):
        """A certificate for 127.0.0.1 and localhost (server) or a client certificate (CN=name). Returns the paths
        (crt, key); a second issue of the same name makes a new key and serial in the same files' place."""
        usage = "serverAuth" if server else "clientAuth"
        extensions = self.dir / f"{name}.ext"
        lines = ["basicConstraints=CA:FALSE", f"extendedKeyUsage={usage}"]
        if server:
            lines.append("subjectAltName=IP:127.0.0.1,DNS:localhost")
        extensions.write_text("\n".join(lines) + "\n")
        tag = uuid.uuid4().hex[:8]
        _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-keyout", f"{name}-{tag}.key", "-out", f"{name}-{tag}.csr", "-subj", f"/O=Gradient test/CN={name}",
                 cwd=self.dir)
        _openssl("x509", "-req", "-in", f"{name}-{tag}.csr", "-CA", self.cert.name, "-CAkey", f"{self.prefix}.key",
                 "-CAcreateserial", "-out", f"{name}-{tag}.crt", "-days", "1", "-extfile", extensions.name, cwd=self.dir)
        return self.dir / f"{name}-{tag}.crt", self.dir / f"{name}-{tag}.key"

    def client_context(self, certificate=None):
        """A client's SSLContext that trusts this CA (and checks the host name), with a client certificate."""
        context = ssl.create_default_context(cafile=str(self.cert))
        if certificate:
            context.load_cert_chain(str(certificate[0]), str(certificate[1]))
        return context


def serial_of(path):
    """The serial number of a PEM certificate file, as Python's getpeercert() spells it (upper-case hex)."""
    out = subprocess.run(["openssl", "x509", "-noout", "-serial", "-in", str(path)], check=True,
                         capture_output=True, text=True).stdout
    return out.strip().split("=", 1)[1].upper()


def peer_serial(port, context):
    """The serial number of the certificate a new TLS connection to 127.0.0.1:port is shown."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            return tls.getpeercert()["serialNumber"].upper()
