"""A small test PKI built with `cryptography`.

    pki = PKI(directory)
    root = pki.root_ca("ca1")                                   # EC P-256, CA:TRUE, keyCertSign
    inter = pki.intermediate(root, "inter1", path_len=0)
    alice = pki.leaf(root, "alice", cn="alice", sans=[("email", "alice@example.com"), ("DNS", "a.test")])
    server = pki.server_cert(server_ca, "server", hosts=["app.test"])   # + localhost, *.localhost, 127.0.0.1

Every `issue()` knob: subject (cn / o / ou / email), sans (ordered list of (kind, value) with kind in
DNS | email | URI | IP), validity (not_before / not_after or days), basic_constraints ("ca" | "leaf" |
None = absent) and path_len, key_usage (list of names or None = absent), eku (list of "clientAuth" /
"serverAuth" / ... or None = absent), ski / aki (bool), serial, key_type ("ec" | "rsa"), sig_hash (the
issuer's signature hash, a `cryptography` hash; default SHA-256).

Each certificate is written to `<name>.pem` (certificate only) and `<name>.key` (PKCS#8, unencrypted);
certificates issued by an intermediate also get `<name>-chain.pem` (leaf + intermediates, not the root).
`bundle(path, *certs)` writes a PEM bundle (for trust bundles with several CAs).
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

UTC = _dt.timezone.utc

EKU_OIDS = {
    "clientAuth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "serverAuth": ExtendedKeyUsageOID.SERVER_AUTH,
    "codeSigning": ExtendedKeyUsageOID.CODE_SIGNING,
    "emailProtection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "anyExtendedKeyUsage": ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
}

KEY_USAGE_NAMES = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
)

CA_KEY_USAGE = ["digital_signature", "key_cert_sign", "crl_sign"]
LEAF_KEY_USAGE_EC = ["digital_signature"]
LEAF_KEY_USAGE_RSA = ["digital_signature", "key_encipherment"]


def utcnow() -> _dt.datetime:
    return _dt.datetime.now(UTC).replace(microsecond=0)


@dataclass
class Cert:
    """A certificate with its key and where both were written."""

    name: str
    cert: x509.Certificate
    key: object
    cert_path: Path
    key_path: Path
    issuer: Optional["Cert"] = None
    chain_path: Optional[Path] = None  # leaf + intermediates (never the root); None when issued by a root
    extra: dict = field(default_factory=dict)

    # --- PEM ---------------------------------------------------------------------------------------
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def intermediates(self) -> list["Cert"]:
        """Issuers between this certificate and its root (excluding both)."""
        out = []
        cur = self.issuer
        while cur is not None and cur.issuer is not None:
            out.append(cur)
            cur = cur.issuer
        return out

    def root(self) -> "Cert":
        cur = self
        while cur.issuer is not None:
            cur = cur.issuer
        return cur

    @property
    def send_path(self) -> Path:
        """The file a client should present: the chain file when there are intermediates."""
        return self.chain_path or self.cert_path

    # --- expected identity values (computed in Python; cross-checked against openssl in the self test)
    @property
    def fingerprint_sha256(self) -> str:
        """SHA-256 of the DER, lowercase hex, no colons."""
        return self.cert.fingerprint(hashes.SHA256()).hex()

    @property
    def serial_hex(self) -> str:
        """Uppercase hex as `openssl x509 -noout -serial` prints it (even number of digits)."""
        return serial_to_openssl_hex(self.cert.serial_number)

    @property
    def not_after_rfc3339(self) -> str:
        return self.cert.not_valid_after.replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def san_header(self) -> str:
        """`DNS:x, email:y, URI:z, IP:a` in certificate order."""
        return ", ".join(f"{k}:{v}" for k, v in self.sans)

    @property
    def sans(self) -> list[tuple[str, str]]:
        try:
            ext = self.cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        except x509.ExtensionNotFound:
            return []
        out = []
        for gn in ext.value:
            if isinstance(gn, x509.DNSName):
                out.append(("DNS", gn.value))
            elif isinstance(gn, x509.RFC822Name):
                out.append(("email", gn.value))
            elif isinstance(gn, x509.UniformResourceIdentifier):
                out.append(("URI", gn.value))
            elif isinstance(gn, x509.IPAddress):
                out.append(("IP", str(gn.value)))
            else:  # pragma: no cover - not produced by this PKI
                out.append(("othername", repr(gn)))
        return out

    @property
    def subject_rfc2253(self) -> str:
        return openssl_x509_field(self.cert_path, "subject")

    @property
    def issuer_rfc2253(self) -> str:
        return openssl_x509_field(self.cert_path, "issuer")

    def __repr__(self) -> str:  # keeps pytest parametrize ids and failure output short
        return f"Cert({self.name})"


def serial_to_openssl_hex(serial: int) -> str:
    h = format(serial, "X")
    if len(h) % 2:
        h = "0" + h
    return h


def openssl_x509_field(cert_path: Path | str, which: str) -> str:
    """What `openssl x509 -noout -<which> -nameopt RFC2253` prints after `<which>=`.

    which: subject | issuer | serial
    """
    args = ["openssl", "x509", "-noout", "-in", str(cert_path), f"-{which}"]
    if which in ("subject", "issuer"):
        args += ["-nameopt", "RFC2253"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()
    prefix = f"{which}="
    assert out.startswith(prefix), out
    return out[len(prefix):]


def openssl_verify(
    cafile: Path | str,
    cert: Path | str,
    untrusted: Path | str | None = None,
    purpose: str | None = "sslclient",
    extra: Sequence[str] = (),
) -> tuple[int, str]:
    """Run `openssl verify`; return (exit code, combined output). Used by the harness self test."""
    args = ["openssl", "verify", "-CAfile", str(cafile)]
    if untrusted:
        args += ["-untrusted", str(untrusted)]
    if purpose:
        args += ["-purpose", purpose]
    args += list(extra)
    args.append(str(cert))
    p = subprocess.run(args, capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def _gen_key(key_type: str):
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"unknown key_type {key_type!r}")


def _name(cn=None, o=None, ou=None, email=None, c=None) -> x509.Name:
    attrs = []
    if c:
        attrs.append(x509.NameAttribute(NameOID.COUNTRY_NAME, c))
    if o:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, o))
    if ou:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    if cn:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    if email:
        attrs.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
    return x509.Name(attrs)


def _general_name(kind: str, value: str):
    if kind == "DNS":
        return x509.DNSName(value)
    if kind == "email":
        return x509.RFC822Name(value)
    if kind == "URI":
        return x509.UniformResourceIdentifier(value)
    if kind == "IP":
        return x509.IPAddress(ipaddress.ip_address(value))
    raise ValueError(f"unknown SAN kind {kind!r} (DNS | email | URI | IP)")


_DEFAULT = object()


class PKI:
    """Creates certificates and writes them as PEM files under `directory`."""

    def __init__(self, directory: Path | str):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.certs: dict[str, Cert] = {}

    def path(self, name: str) -> Path:
        return self.dir / name

    # --- the general builder -------------------------------------------------------------------------
    def issue(
        self,
        name: str,
        issuer: Optional[Cert] = None,
        *,
        cn: Optional[str] = _DEFAULT,  # type: ignore[assignment]
        o: Optional[str] = None,
        ou: Optional[str] = None,
        email: Optional[str] = None,
        country: Optional[str] = None,
        sans: Optional[Sequence[tuple[str, str]]] = None,
        not_before: Optional[_dt.datetime] = None,
        not_after: Optional[_dt.datetime] = None,
        days: int = 365,
        basic_constraints: Optional[str] = "leaf",  # "ca" | "leaf" (CA:FALSE) | None (absent)
        path_len: Optional[int] = None,
        key_usage=_DEFAULT,  # list of KEY_USAGE_NAMES | None (absent) | default by kind
        eku=_DEFAULT,  # list of names in EKU_OIDS | None (absent) | default by kind
        ski: bool = True,
        aki: bool = True,
        serial: Optional[int] = None,
        key_type: str = "ec",
        key=None,
        critical_bc: bool = True,
        sig_hash=None,  # a cryptography hash for the issuer's signature (default SHA-256)
    ) -> Cert:
        if name in self.certs:
            raise ValueError(f"duplicate certificate name {name!r}")
        key = key or _gen_key(key_type)
        now = utcnow()
        not_before = not_before or (now - _dt.timedelta(days=1))
        not_after = not_after or (now + _dt.timedelta(days=days))
        if cn is _DEFAULT:
            cn = name
        subject = _name(cn=cn, o=o, ou=ou, email=email, c=country)
        is_ca = basic_constraints == "ca"

        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer.cert.subject if issuer else subject)
            .public_key(key.public_key())
            .serial_number(serial if serial is not None else x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
        )
        if basic_constraints == "ca":
            builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=path_len), critical=critical_bc)
        elif basic_constraints == "leaf":
            builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=critical_bc)
        elif basic_constraints is not None:
            raise ValueError("basic_constraints must be 'ca', 'leaf' or None")

        if key_usage is _DEFAULT:
            if is_ca:
                key_usage = CA_KEY_USAGE
            else:
                key_usage = LEAF_KEY_USAGE_RSA if key_type == "rsa" else LEAF_KEY_USAGE_EC
        if key_usage is not None:
            unknown = set(key_usage) - set(KEY_USAGE_NAMES)
            if unknown:
                raise ValueError(f"unknown key usage {unknown}")
            flags = {n: (n in key_usage) for n in KEY_USAGE_NAMES}
            builder = builder.add_extension(x509.KeyUsage(**flags), critical=True)

        if eku is _DEFAULT:
            eku = None if is_ca else ["clientAuth"]
        if eku is not None:
            builder = builder.add_extension(x509.ExtendedKeyUsage([EKU_OIDS[e] for e in eku]), critical=False)

        if sans:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([_general_name(k, v) for k, v in sans]), critical=False
            )
        if ski:
            builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        if aki:
            signer_pub = (issuer.key if issuer else key).public_key()
            if issuer is not None:
                try:
                    issuer_ski = issuer.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
                    aki_value = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski)
                except x509.ExtensionNotFound:
                    aki_value = x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_pub)
            else:
                aki_value = x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_pub)
            builder = builder.add_extension(aki_value, critical=False)

        signing_key = issuer.key if issuer else key
        cert = builder.sign(signing_key, sig_hash or hashes.SHA256())

        c = Cert(
            name=name,
            cert=cert,
            key=key,
            cert_path=self.dir / f"{name}.pem",
            key_path=self.dir / f"{name}.key",
            issuer=issuer,
        )
        c.cert_path.write_bytes(c.pem())
        c.key_path.write_bytes(c.key_pem())
        os.chmod(c.key_path, 0o600)
        inters = c.intermediates()
        if inters:
            c.chain_path = self.dir / f"{name}-chain.pem"
            c.chain_path.write_bytes(c.pem() + b"".join(i.pem() for i in inters))
        self.certs[name] = c
        return c

    # --- conveniences ---------------------------------------------------------------------------------
    def root_ca(self, name: str, *, cn: Optional[str] = None, basic_constraints: Optional[str] = "ca", **kw) -> Cert:
        """A self-signed root. basic_constraints=None or "leaf" makes a root that must be refused as anchor."""
        kw.setdefault("o", "certgate tests")
        if basic_constraints != "ca":
            kw.setdefault("key_usage", CA_KEY_USAGE)
            kw.setdefault("eku", None)
        return self.issue(name, None, cn=cn or f"{name} root", basic_constraints=basic_constraints, days=3650, **kw)

    def intermediate(self, issuer: Cert, name: str, *, cn: Optional[str] = None, path_len: Optional[int] = None, **kw) -> Cert:
        kw.setdefault("o", "certgate tests")
        return self.issue(name, issuer, cn=cn or f"{name} intermediate", basic_constraints="ca", path_len=path_len,
                          days=1825, **kw)

    def leaf(self, issuer: Cert, name: str, **kw) -> Cert:
        """A client certificate (CA:FALSE, digitalSignature, EKU clientAuth unless told otherwise)."""
        return self.issue(name, issuer, **kw)

    def server_cert(self, issuer: Cert, name: str, hosts: Iterable[str] = (), *, cn: Optional[str] = None, **kw) -> Cert:
        """A server certificate for localhost, *.localhost, 127.0.0.1 and `hosts` (DNS names or IPs)."""
        sans: list[tuple[str, str]] = [("DNS", "localhost"), ("DNS", "*.localhost"), ("IP", "127.0.0.1")]
        for h in hosts:
            try:
                ipaddress.ip_address(h)
                sans.append(("IP", h))
            except ValueError:
                sans.append(("DNS", h))
        kw.setdefault("eku", ["serverAuth"])
        return self.issue(name, issuer, cn=cn or name, sans=sans, **kw)

    def bundle(self, filename: str, *certs: Cert) -> Path:
        """Write several certificates into one PEM file (e.g. a trust bundle with two CAs)."""
        p = self.dir / filename
        p.write_bytes(b"".join(c.pem() for c in certs))
        return p

    def write(self, filename: str, data: bytes | str) -> Path:
        p = self.dir / filename
        p.write_bytes(data.encode() if isinstance(data, str) else data)
        return p


class StandardPKI:
    """The certificates most test modules share.

    Trust anchors: ca1, ca2, ca3 (all CA:TRUE roots); `global_bundle` = ca1 + ca3 (two CAs in one file).
    rogue: a root nobody trusts. inter1: intermediate under ca1 (pathlen 0).
    Client certificates (EKU clientAuth, CA:FALSE unless the name says otherwise):
      alice        ca1, rich subject and SANs (DNS, email, URI, IP, in a mixed order), fixed odd-length serial
      tricky       ca1, subject needing RFC 2253 escapes (`,` and `+`), serial with the high bit set
      rsa_client   ca1, RSA 2048
      bob          ca3 (second CA of the global bundle)
      carol        ca2 (only trusted by routes that name ca2)
      untrusted    rogue
      expired      ca1, not_after yesterday
      not_yet_valid ca1, not_before tomorrow
      ca_as_leaf   ca1, CA:TRUE (an intermediate CA certificate used as a client certificate)
      server_only  ca1, EKU serverAuth only
      no_eku       ca1, no EKU extension at all (allowed: EKU is only checked when present)
      both_eku     ca1, EKU serverAuth + clientAuth
      no_bc        ca1, no basicConstraints extension (still not a CA)
      deep         inter1 -> ca1; `deep.chain_path` = leaf + inter1
    Server side: server_ca (root) and `server` for localhost, *.localhost, 127.0.0.1 and `server_hosts`.
    """

    def __init__(self, directory: Path | str, server_hosts: Iterable[str] = ()):
        p = self.pki = PKI(directory)
        self.dir = p.dir
        now = utcnow()
        self.server_ca = p.root_ca("server-ca")
        self.server = p.server_cert(self.server_ca, "server", hosts=list(server_hosts))
        self.ca1 = p.root_ca("ca1")
        self.ca2 = p.root_ca("ca2")
        self.ca3 = p.root_ca("ca3")
        self.rogue = p.root_ca("rogue")
        self.inter1 = p.intermediate(self.ca1, "inter1", path_len=0)
        self.global_bundle = p.bundle("global-ca.pem", self.ca1, self.ca3)

        self.alice = p.leaf(
            self.ca1, "alice", cn="alice", o="Example Org", ou="Engineering", email="alice@example.com",
            sans=[("email", "alice@example.com"), ("DNS", "alice.example.test"), ("URI", "spiffe://example.test/alice"),
                  ("IP", "192.0.2.10"), ("DNS", "second.example.test")],
            serial=0x0ABCDE0123456789,  # 15 hex digits: openssl prints a leading 0
            not_after=(now + _dt.timedelta(days=400)).replace(hour=12, minute=0, second=0),
        )
        self.tricky = p.leaf(self.ca1, "tricky", cn="Bob+Smith", o="Example, Inc.", serial=0x8F00000000000001)
        self.rsa_client = p.leaf(self.ca1, "rsa_client", cn="rsa-client", key_type="rsa")
        self.bob = p.leaf(self.ca3, "bob", cn="bob")
        self.carol = p.leaf(self.ca2, "carol", cn="carol")
        self.untrusted = p.leaf(self.rogue, "untrusted", cn="mallory")
        self.expired = p.leaf(self.ca1, "expired", cn="expired",
                              not_before=now - _dt.timedelta(days=30), not_after=now - _dt.timedelta(days=1))
        self.not_yet_valid = p.leaf(self.ca1, "not_yet_valid", cn="not-yet-valid",
                                    not_before=now + _dt.timedelta(days=1), not_after=now + _dt.timedelta(days=30))
        self.ca_as_leaf = p.intermediate(self.ca1, "ca_as_leaf", cn="a CA used as a leaf")
        self.server_only = p.leaf(self.ca1, "server_only", cn="server-only", eku=["serverAuth"])
        self.no_eku = p.leaf(self.ca1, "no_eku", cn="no-eku", eku=None)
        self.both_eku = p.leaf(self.ca1, "both_eku", cn="both-eku", eku=["serverAuth", "clientAuth"])
        self.no_bc = p.leaf(self.ca1, "no_bc", cn="no-bc", basic_constraints=None)
        self.deep = p.leaf(self.inter1, "deep", cn="deep")

    def __getitem__(self, name: str) -> Cert:
        return self.pki.certs[name]
