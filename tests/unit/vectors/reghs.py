#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# An independent implementation of the registration handshake's test vector
# (docs/PROTOCOL.md §2.1.1), written from the specification with Python's
# hashlib and the cryptography package (Debian python3-cryptography), not
# from the C code. Prints the vector's values; tests/unit/test_reghs.c pins
# the same ones, so the two implementations are checked against each other.
# usage: /usr/bin/python3 tests/unit/vectors/reghs.py
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey, X25519PublicKey)
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives import serialization

RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


def pub(sk):
    return X25519PrivateKey.from_private_bytes(sk).public_key().public_bytes(*RAW)


def dh(sk, pk):
    return X25519PrivateKey.from_private_bytes(sk).exchange(
        X25519PublicKey.from_public_bytes(pk))


def H(data):
    return hashlib.blake2b(data).digest()


def HMAC(key, data):
    return hmac.new(key, data, hashlib.blake2b).digest()


def HKDF(ck, ikm, n):
    tk = HMAC(ck, ikm)
    o1 = HMAC(tk, b"\x01")
    o2 = HMAC(tk, o1 + b"\x02")
    return (o1, o2) if n == 2 else (o1, o2, HMAC(tk, o2 + b"\x03"))


class Sym:
    """Noise SymmetricState with ChaChaPoly and BLAKE2b."""

    def __init__(self, name, prologue):
        self.h = name.ljust(64, b"\0") if len(name) <= 64 else H(name)
        self.ck = self.h
        self.k = None
        self.n = 0
        self.mix_hash(prologue)

    def mix_hash(self, data):
        self.h = H(self.h + data)

    def mix_key(self, ikm):
        self.ck, tk = HKDF(self.ck, ikm, 2)
        self.k, self.n = tk[:32], 0

    def nonce(self):
        return b"\0" * 4 + struct.pack("<Q", self.n)

    def encrypt_and_hash(self, pt):
        ct = ChaCha20Poly1305(self.k).encrypt(self.nonce(), pt, self.h)
        self.n += 1
        self.mix_hash(ct)
        return ct

    def decrypt_and_hash(self, ct):
        pt = ChaCha20Poly1305(self.k).decrypt(self.nonce(), ct, self.h)
        self.n += 1
        self.mix_hash(ct)
        return pt

    def split(self):
        k1, k2 = HKDF(self.ck, b"", 2)
        return k1[:32], k2[:32]


NAME = b"Noise_NK_25519_ChaChaPoly_BLAKE2b"
PROLOGUE = b"p2pd-reg/2"
VERSION = 2

s_sk = bytes(range(0x00, 0x20))
e_sk = bytes(range(0x20, 0x40))
re_sk = bytes(range(0x40, 0x60))
master = bytes(range(0x60, 0x80))
bucket = 56666666
addr = b"\0" * 10 + b"\xff\xff" + bytes([192, 0, 2, 1]) + struct.pack(">H", 40000)
p1, p2 = b"p2pd register", b"p2pd registered"

s_pk, e_pk, re_pk = pub(s_sk), pub(e_sk), pub(re_sk)
secret = hashlib.blake2b(b"p2pd-cookie" + struct.pack(">Q", bucket),
                         key=master, digest_size=32).digest()
cookie = hashlib.blake2b(addr + e_pk, key=secret, digest_size=16).digest()

# Agent: message 1 (e, es) with p1.
a = Sym(NAME, PROLOGUE)
a.mix_hash(s_pk)
a.mix_hash(e_pk)
a.mix_key(dh(e_sk, s_pk))
init = bytes([0x59, VERSION, 0, 0]) + s_pk[:4] + cookie + e_pk + \
    a.encrypt_and_hash(p1)

# Server: reads it, then message 2 (e, ee) with p2.
s = Sym(NAME, PROLOGUE)
s.mix_hash(s_pk)
s.mix_hash(e_pk)
s.mix_key(dh(s_sk, e_pk))
assert s.decrypt_and_hash(init[24 + 32:]) == p1
s.mix_hash(re_pk)
s.mix_key(dh(re_sk, e_pk))
accept = bytes([0x5a, VERSION, 0, 0]) + re_pk + s.encrypt_and_hash(p2)

# Agent reads message 2.
a.mix_hash(re_pk)
a.mix_key(dh(e_sk, re_pk))
assert a.decrypt_and_hash(accept[4 + 32:]) == p2
tx, rx = a.split()
assert (tx, rx) == s.split()

for k, v in (("server static public key", s_pk),
             ("agent ephemeral public key", e_pk),
             ("cookie secret", secret), ("cookie", cookie),
             ("REG_INIT", init), ("REG_ACCEPT", accept),
             ("agent tx (agent -> server)", tx),
             ("agent rx (server -> agent)", rx)):
    print("%s = %s" % (k, v.hex()))
