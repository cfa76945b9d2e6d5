"""A real OpenLDAP ``slapd`` for the LDAP tests (Debian's package: ``slapd`` and ``ldap-utils``).

One server per test session: a generated ``slapd.conf`` (the mdb backend, a temporary directory,
a free port on 127.0.0.1), started by ``start_slapd``. Each test then builds its own company in a
subtree of its own (``Slapd.company()``: ``ou=<unique>,dc=example,dc=com`` with organizational
units named in Chinese), so tests never see each other's entries and need no reset. The entries
are added over LDAP, so slapd gives each its own entryUUID as a real server would.

userAccountControl (Active Directory's attribute, same OID) is defined by a tiny schema here so
that the AD "disabled" bit can be tested on OpenLDAP.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import ldap3
import pytest

SLAPD = "/usr/sbin/slapd"
SUFFIX = "dc=example,dc=com"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "root-secret"
SERVICE_DN = f"cn=lakeside,{SUFFIX}"
SERVICE_PASSWORD = "service-secret"
PASSWORD = "ldap-pass-123"

SCHEMA = """
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
    EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.99999.1.1 NAME 'lakesideTestAccount' SUP top AUXILIARY
    MAY ( userAccountControl ) )
"""

CONFIG = """
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include {root}/test.schema
TLSCertificateFile {root}/cert.pem
TLSCertificateKeyFile {root}/key.pem
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {root}/slapd.pid
argsfile {root}/slapd.args
sizelimit unlimited

database mdb
maxsize 104857600
suffix "{suffix}"
rootdn "{root_dn}"
rootpw {root_password}
directory {root}/db
index objectClass eq
index entryUUID eq
index uid eq

access to attrs=userPassword
    by anonymous auth
    by * none
access to *
    by users read
    by * none
"""

SEED = f"""dn: {SUFFIX}
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: {SERVICE_DN}
objectClass: person
cn: lakeside
sn: service
userPassword: {SERVICE_PASSWORD}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Slapd:
    url: str  # ldap:// (StartTLS offered)
    ldaps_url: str
    ca_pem: str  # the server's self-signed certificate, for 127.0.0.1
    root: Path
    process: subprocess.Popen[bytes]

    def admin(self) -> ldap3.Connection:
        server = ldap3.Server(self.url, get_info=ldap3.NONE, connect_timeout=5)
        return ldap3.Connection(server, ROOT_DN, ROOT_PASSWORD, auto_bind=True, raise_exceptions=True)

    def company(self) -> Company:
        """A fresh company in a subtree of its own (see ``Company``)."""
        base = f"ou=t{uuid.uuid4().hex[:10]},{SUFFIX}"
        company = Company(self, base)
        company.seed()
        return company


@dataclass
class Company:
    """湖畔科技 in ``base``: 研发部 (with 后端组) and 市场部, five people.

    ceo (no unit), wangwu in 研发部, zhangsan and lisi in 研发部/后端组, zhaoliu in 市场部."""

    server: Slapd
    base: str

    def dn(self, uid: str, *units: str) -> str:
        return ",".join([f"uid={uid}", *(f"ou={u}" for u in units), self.base])

    def unit_dn(self, *units: str) -> str:
        return ",".join([*(f"ou={u}" for u in units), self.base])

    def seed(self) -> None:
        with self.connection() as conn:
            conn.add(self.base, ["organizationalUnit"], {"ou": self.base.split(",")[0][3:]})
            conn.add(self.unit_dn("研发部"), ["organizationalUnit"], {"ou": "研发部"})
            conn.add(self.unit_dn("后端组", "研发部"), ["organizationalUnit"], {"ou": "后端组"})
            conn.add(self.unit_dn("市场部"), ["organizationalUnit"], {"ou": "市场部"})
        self.add_person("ceo", "老板", ())
        self.add_person("wangwu", "王五", ("研发部",), mobile="13800000003", title="研发总监")
        self.add_person("zhangsan", "张三", ("后端组", "研发部"), mobile="13800000001", employee="E001")
        self.add_person("lisi", "李四", ("后端组", "研发部"), mail="lisi@example.com")
        self.add_person("zhaoliu", "赵六", ("市场部",))

    @contextmanager
    def connection(self) -> Iterator[ldap3.Connection]:
        conn = self.server.admin()
        try:
            yield conn
        finally:
            conn.unbind()

    def add_person(
        self,
        uid: str,
        name: str,
        units: tuple[str, ...],
        *,
        mobile: str | None = None,
        mail: str | None = None,
        title: str | None = None,
        employee: str | None = None,
        disabled: bool = False,
    ) -> str:
        dn = self.dn(uid, *units)
        attributes: dict[str, object] = {
            "uid": uid, "cn": name, "sn": name[:1], "userPassword": PASSWORD,
            "userAccountControl": "514" if disabled else "512",
        }  # fmt: skip
        for key, value in (
            ("mobile", mobile),
            ("mail", mail),
            ("title", title),
            ("employeeNumber", employee),
        ):
            if value:
                attributes[key] = value
        with self.connection() as conn:
            conn.add(dn, ["inetOrgPerson", "lakesideTestAccount"], attributes)
        return dn

    def modify(self, dn: str, **values: str) -> None:
        with self.connection() as conn:
            conn.modify(dn, {key: [(ldap3.MODIFY_REPLACE, [value])] for key, value in values.items()})

    def move(self, dn: str, new_rdn: str, new_parent: str | None = None) -> None:
        with self.connection() as conn:
            conn.modify_dn(dn, new_rdn, new_superior=new_parent)

    def delete(self, dn: str) -> None:
        with self.connection() as conn:
            conn.delete(dn)


@contextmanager
def start_slapd(root: Path) -> Iterator[Slapd]:
    """Start slapd in ``root`` (raises FileNotFoundError when slapd is not installed)."""
    if not (os.path.exists(SLAPD) and shutil.which("slapadd") and shutil.which("openssl")):
        raise FileNotFoundError(SLAPD)
    (root / "db").mkdir(parents=True)
    (root / "test.schema").write_text(SCHEMA)
    conf = root / "slapd.conf"
    conf.write_text(CONFIG.format(root=root, suffix=SUFFIX, root_dn=ROOT_DN, root_password=ROOT_PASSWORD))
    seed = root / "seed.ldif"
    seed.write_text(SEED)
    subprocess.run(["slapadd", "-f", str(conf), "-l", str(seed)], check=True, capture_output=True)
    # A self-signed certificate for 127.0.0.1, for ldaps:// and StartTLS.
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem"),
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    port, secure_port = free_port(), free_port()
    url, ldaps_url = f"ldap://127.0.0.1:{port}", f"ldaps://127.0.0.1:{secure_port}"
    log = (root / "slapd.log").open("wb")
    command = [SLAPD, "-f", str(conf), "-h", f"{url}/ {ldaps_url}/", "-d", "0"]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "slapd did not start: " + (root / "slapd.log").read_text(errors="replace")[-2000:]
                    ) from None
                time.sleep(0.05)
        yield Slapd(url, ldaps_url, (root / "cert.pem").read_text(), root, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    """The session's slapd (skipped locally without it; a failure under LAKESIDE_REQUIRE_SERVICES=1)."""
    from tests.conftest import service_missing

    try:
        with start_slapd(tmp_path_factory.mktemp("slapd")) as server:
            yield server
    except FileNotFoundError:
        service_missing("slapd (Debian packages slapd and ldap-utils)")
