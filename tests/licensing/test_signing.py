import os
import stat

import pytest

from hpi.core.signing import TrustStore, generate_keypair, key_id, load_private_key, load_public_key, \
    sign, trust_public_key
from hpi.core.errors import SignatureError, UsageError


def test_keygen_private_key_is_0600_and_refuses_overwrite(tmp_path):
    private, public = generate_keypair(tmp_path / "k.pem")
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    assert public.name == "k.pub"
    with pytest.raises(UsageError, match="already exists"):
        generate_keypair(tmp_path / "k.pem")
    generate_keypair(tmp_path / "k.pem", overwrite=True)


def test_trust_store_from_folder_verifies_and_rejects_tampering(tmp_path):
    private, public = generate_keypair(tmp_path / "k.pem")
    trusted = trust_public_key(public, tmp_path / "trusted")
    assert trusted.name == f"{key_id(load_public_key(public))}.pub"
    store = TrustStore.from_paths([tmp_path / "trusted"])
    signature = sign(b"payload", load_private_key(private))
    store.verify(b"payload", signature)
    with pytest.raises(SignatureError, match="signature is invalid"):
        store.verify(b"payload!", signature)


def test_missing_key_files_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="hpi-license keygen"):
        load_private_key(tmp_path / "nope.pem")
    with pytest.raises(UsageError, match="not found"):
        TrustStore.from_paths([tmp_path / "nope.pub"])
    (tmp_path / "junk.pub").write_text("not a key")
    with pytest.raises(UsageError, match="cannot read public key"):
        TrustStore.from_paths([tmp_path / "junk.pub"])
