"""The callback's encryption, as wechatpy's WeChatCrypto does it, built for every message's path.

Encryption: https://developer.work.weixin.qq.com/document/path/90968

wechatpy builds a new AES cipher object for every message, draws the 16 random bytes in front
of the plain text with `random.sample` and renders a reply through its field descriptors;
together about a tenth of a callback's CPU. `CallbackCrypto` keeps the cipher (a context is
still made per message, as CBC needs), takes the random bytes from the OS and checks the
signature in constant time; what it accepts and refuses, and the exceptions it raises, are
wechatpy's. The URL verification (`check_signature`) is wechatpy's own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException

ENVELOPE = """<xml>
<Encrypt><![CDATA[{encrypt}]]></Encrypt>
<MsgSignature><![CDATA[{signature}]]></MsgSignature>
<TimeStamp>{timestamp}</TimeStamp>
<Nonce><![CDATA[{nonce}]]></Nonce>
</xml>"""  # wechatpy's, to the byte
BLOCK = 32  # WeCom pads to 32 bytes (PKCS#7 with a 32-byte block), not AES's 16


def text_reply(source: str, target: str, content: str, create_time: int) -> str:
    """A passive text reply's XML, as wechatpy's `TextReply(...).render()` makes it, except
    that a "]]>" in the content (a person's own words read back, say) no longer ends its
    CDATA section early and breaks the reply: it is split across two sections."""
    content = content.replace("]]>", "]]]]><![CDATA[>")
    return (f"<xml>\n<MsgType><![CDATA[text]]></MsgType>\n"
            f"<Content><![CDATA[{content}]]></Content>\n"
            f"<FromUserName><![CDATA[{source}]]></FromUserName>\n"
            f"<ToUserName><![CDATA[{target}]]></ToUserName>\n"
            f"<CreateTime>{create_time}</CreateTime>\n</xml>")


def _signature(*parts: str) -> str:
    """WeCom's msg_signature: SHA-1 of the token, timestamp, nonce and Encrypt, sorted."""
    return hashlib.sha1(b"".join(sorted(part.encode() for part in parts))).hexdigest()


class CallbackCrypto(WeChatCrypto):
    """wechatpy's WeChatCrypto with `encrypt_message` and `decrypt_message` made cheap."""

    def __init__(self, token: str, encoding_aes_key: str, corp_id: str) -> None:
        super().__init__(token, encoding_aes_key, corp_id)
        self._cipher = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))
        self._corp_id = corp_id.encode()

    def encrypt_message(self, msg: str, nonce: str, timestamp: str | None = None) -> str:
        """The reply envelope for `msg` (an XML string), signed with `nonce` and `timestamp`."""
        if timestamp is None:
            return str(super().encrypt_message(msg, nonce, timestamp))
        text = msg.encode()
        # 16 random bytes, the length (network order), the message, our CorpID; then padded.
        # Any 16 bytes do (the receiver skips them); hex keeps them printable like wechatpy's.
        plain = b"".join((os.urandom(8).hex().encode(), struct.pack(">I", len(text)), text,
                          self._corp_id))
        padding = BLOCK - len(plain) % BLOCK
        plain += bytes((padding,)) * padding
        encryptor = self._cipher.encryptor()
        encrypt = base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()
        return ENVELOPE.format(encrypt=encrypt, nonce=nonce, timestamp=timestamp,
                               signature=_signature(self.token, timestamp, nonce, encrypt))

    def decrypt_message(self, msg: dict[str, str] | str, signature: str, timestamp: str,
                        nonce: str) -> str:
        """The plain XML inside `msg` ({"Encrypt": ...}): InvalidSignatureException if the
        signature is not ours, InvalidCorpIdException if it was not encrypted for our
        CorpID; ValueError, struct.error and the like if it does not decrypt."""
        if not isinstance(msg, dict) or not isinstance(msg.get("Encrypt"), str):
            return str(super().decrypt_message(msg, signature, timestamp, nonce))
        encrypt = msg["Encrypt"]
        expected = _signature(self.token, timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "surrogatepass")):
            raise InvalidSignatureException()
        decryptor = self._cipher.decryptor()
        plain = decryptor.update(base64.b64decode(encrypt.encode())) + decryptor.finalize()
        # As wechatpy reads it: the padding's last byte is trusted for the length to cut.
        content = plain[16:-plain[-1]]
        length = struct.unpack(">I", content[:4])[0]
        xml = content[4:length + 4].decode()
        if content[length + 4:].decode() != self.corp_id:
            raise InvalidCorpIdException()
        return xml
