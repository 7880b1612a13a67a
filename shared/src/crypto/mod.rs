//! Secrets at rest: the key, the keyring that holds the current and the previous key, and the
//! stored form of an encrypted value.
//!
//! Brief overview: a [`SecretKey`] is 32 random bytes written as 64 hex characters. Only `teleops
//! up` and `teleops migrate` generate one (into `$DATA_DIR/secret.key`, mode 0600); every other role
//! must be given it. A [`Keyring`] holds `TELEOPS_SECRET_KEY` (the current key, which encrypts) and,
//! during a rotation, `TELEOPS_SECRET_KEY_OLD` (which only decrypts). Values are sealed with
//! XChaCha20-Poly1305 under a fresh random 24-byte nonce each. [`Encrypted`] is the column type
//! entities use for them, so no code handles ciphertext by hand; [`SECRET_COLUMNS`] lists every such
//! column, and [`rotate`] re-encrypts them all under the current key.
//!
//! The stored form is text, so it fits a TEXT column on SQLite and Postgres:
//!
//! ```text
//! v1:<key id, 8 hex digits>:<base64 (standard, padded) of nonce (24 bytes) || ciphertext || tag (16 bytes)>
//! ```
//!
//! The key id is the first 4 bytes of SHA-256("teleops secret key id" || key): it names the key
//! without revealing it, needs no configuration, and lets decryption pick the key a value was
//! sealed with. The header `v1:<key id>` is the AEAD's associated data, so it cannot be edited
//! without the tag failing.

use std::fmt;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

use crate::config::Secret;

mod column;
mod rotate;

pub use column::{Encrypted, Plaintext, install, scoped};
pub use rotate::{ROTATE_BATCH, Rewritten, SECRET_COLUMNS, SecretColumn, rotate, seal_plaintext};

/// Why a key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The text is not 64 hex characters.
    #[error("must be 64 hex characters (32 bytes), e.g. from `openssl rand -hex 32`")]
    Malformed,
    /// The key file could not be read or written.
    #[error("key file {path}: {source}")]
    Io { path: String, source: std::io::Error },
    /// `TELEOPS_SECRET_KEY_OLD` is the current key (or has its key id).
    #[error("TELEOPS_SECRET_KEY_OLD is the same key as TELEOPS_SECRET_KEY (key {0}); unset it")]
    OldIsCurrent(KeyId),
}

/// Why a secret could not be sealed or opened.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CryptoError {
    /// Neither [`install`] nor [`scoped`] provided a keyring.
    #[error("no secret keyring is installed in this process (startup installs TELEOPS_SECRET_KEY)")]
    NoKeyring,
    /// [`install`] was called again with other keys.
    #[error("a different secret keyring is already installed in this process")]
    AlreadyInstalled,
    /// The value names a key this keyring does not hold.
    #[error(
        "cannot decrypt a stored secret: it was encrypted with key {found}, which is neither TELEOPS_SECRET_KEY \
         (key {current}) nor TELEOPS_SECRET_KEY_OLD ({})",
        old.map_or("not set".to_owned(), |id| format!("key {id}"))
    )]
    UnknownKey { found: KeyId, current: KeyId, old: Option<KeyId> },
    /// The key id matched but the tag did not: the stored value was changed or damaged.
    #[error(
        "cannot decrypt a stored secret sealed with key {0}: it fails authentication (damaged, or \
         TELEOPS_SECRET_KEY / TELEOPS_SECRET_KEY_OLD is not the key it was encrypted with)"
    )]
    Forged(KeyId),
    /// The text is not in the `v1:<key id>:<data>` form.
    #[error(
        "a stored secret is not in the v1:<key id>:<data> form (plaintext from before encryption? \
         `teleops migrate` encrypts it with TELEOPS_SECRET_KEY)"
    )]
    Malformed,
    /// The plaintext is not what the column holds (e.g. not UTF-8 for text).
    #[error("a decrypted secret is not valid {0}")]
    NotPlaintext(&'static str),
}

/// 32 bytes of key material.
#[derive(Clone)]
pub struct SecretKey(Secret<[u8; 32]>);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

impl SecretKey {
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let bytes = hex::decode(text.trim()).map_err(|_| KeyError::Malformed)?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| KeyError::Malformed)?;
        Ok(Self(Secret::new(bytes)))
    }

    pub fn bytes(&self) -> &[u8; 32] {
        self.0.expose()
    }

    /// The public name of this key, stored beside every value it seals.
    pub fn id(&self) -> KeyId {
        let digest = Sha256::new().chain_update(b"teleops secret key id").chain_update(self.bytes()).finalize();
        KeyId([digest[0], digest[1], digest[2], digest[3]])
    }

    /// Reads the key file, or creates it with a fresh random key (mode 0600) when it is missing.
    pub fn load_or_generate(path: &Path) -> Result<(Self, bool), KeyError> {
        let io = |source| KeyError::Io { path: path.display().to_string(), source };
        match std::fs::read_to_string(path) {
            Ok(text) => return Ok((Self::from_hex(&text)?, false)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        let bytes: [u8; 32] = rand::random();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(io)?;
        file.write_all(hex::encode(bytes).as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok((Self(Secret::new(bytes)), true))
    }
}

/// A key's public name: 4 bytes of a hash of the key, shown as 8 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId([u8; 4]);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// The keys a process seals and opens secrets with: the current key, and during a rotation the
/// previous one. Sealing always uses the current key; opening picks the key by the value's key id.
#[derive(Clone)]
pub struct Keyring {
    current: SecretKey,
    old: Option<SecretKey>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring").field("current", &self.current_id()).field("old", &self.old_id()).finish()
    }
}

impl Keyring {
    /// A keyring with `current` (`TELEOPS_SECRET_KEY`) and, while rotating, `old`
    /// (`TELEOPS_SECRET_KEY_OLD`). The two must differ.
    pub fn new(current: SecretKey, old: Option<SecretKey>) -> Result<Self, KeyError> {
        if let Some(old) = &old
            && old.id() == current.id()
        {
            return Err(KeyError::OldIsCurrent(current.id()));
        }
        Ok(Self { current, old })
    }

    pub fn current_id(&self) -> KeyId {
        self.current.id()
    }

    pub fn old_id(&self) -> Option<KeyId> {
        self.old.as_ref().map(SecretKey::id)
    }

    /// Encrypts `plaintext` under the current key into the stored form.
    pub fn seal(&self, plaintext: &[u8]) -> String {
        let header = format!("{VERSION}:{}", self.current_id());
        let nonce = XNonce::generate();
        let cipher = XChaCha20Poly1305::new(self.current.bytes().into());
        let sealed = cipher
            .encrypt(&nonce, Payload { msg: plaintext, aad: header.as_bytes() })
            .expect("XChaCha20-Poly1305 encrypts any message shorter than 256 GiB");
        let mut data = Vec::with_capacity(nonce.len() + sealed.len());
        data.extend_from_slice(&nonce);
        data.extend_from_slice(&sealed);
        format!("{header}:{}", BASE64.encode(data))
    }

    /// Decrypts a stored value with whichever of this keyring's keys sealed it.
    pub fn open(&self, stored: &str) -> Result<Vec<u8>, CryptoError> {
        let (header, found, data) = parse(stored)?;
        let key = [Some(&self.current), self.old.as_ref()]
            .into_iter()
            .flatten()
            .find(|k| k.id() == found)
            .ok_or(CryptoError::UnknownKey { found, current: self.current_id(), old: self.old_id() })?;
        let (nonce, sealed) = data.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| CryptoError::Malformed)?;
        XChaCha20Poly1305::new(key.bytes().into())
            .decrypt(&nonce, Payload { msg: sealed, aad: header.as_bytes() })
            .map_err(|_| CryptoError::Forged(found))
    }

    /// Whether both keyrings hold the same keys.
    fn same_keys(&self, other: &Keyring) -> bool {
        self.current_id() == other.current_id() && self.old_id() == other.old_id()
    }
}

/// The stored form's version tag; a future format gets `v2`.
const VERSION: &str = "v1";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Splits a stored value into its header (the associated data), key id and nonce || ciphertext.
fn parse(stored: &str) -> Result<(&str, KeyId, Vec<u8>), CryptoError> {
    let mut parts = stored.splitn(3, ':');
    let (Some(VERSION), Some(id), Some(data)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(CryptoError::Malformed);
    };
    let id: [u8; 4] = hex::decode(id).ok().and_then(|bytes| bytes.try_into().ok()).ok_or(CryptoError::Malformed)?;
    let data = BASE64.decode(data).map_err(|_| CryptoError::Malformed)?;
    if data.len() < NONCE_LEN + TAG_LEN {
        return Err(CryptoError::Malformed);
    }
    Ok((&stored[..VERSION.len() + 1 + 8], KeyId(id), data))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SecretKey {
        SecretKey::from_hex(&format!("{byte:02x}").repeat(32)).unwrap()
    }

    #[test]
    fn generated_key_is_private_and_reloads() {
        let dir = std::env::temp_dir().join(format!("teleops-key-{}", rand::random::<u64>()));
        let path = dir.join("secret.key");
        let (first, created) = SecretKey::load_or_generate(&path).unwrap();
        assert!(created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let (again, created) = SecretKey::load_or_generate(&path).unwrap();
        assert!(!created);
        assert_eq!(first.bytes(), again.bytes());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn malformed_keys_are_refused() {
        assert!(SecretKey::from_hex("zz").is_err());
        assert!(SecretKey::from_hex(&"ab".repeat(31)).is_err());
        assert!(SecretKey::from_hex(&"ab".repeat(32)).is_ok());
    }

    #[test]
    fn sealed_values_name_their_key_and_open_again() {
        let ring = Keyring::new(key(1), None).unwrap();
        let stored = ring.seal(b"+79001234567");
        let prefix = format!("v1:{}:", ring.current_id());
        assert!(stored.starts_with(&prefix), "{stored}");
        assert!(!stored.contains("79001234567"));
        assert_eq!(ring.open(&stored).unwrap(), b"+79001234567");
        // A fresh nonce each time: equal plaintexts do not give equal stored values.
        assert_ne!(ring.seal(b"+79001234567"), stored);
        assert_eq!(ring.open(&ring.seal(b"")).unwrap(), b"");
    }

    #[test]
    fn the_old_key_opens_but_never_seals() {
        let before = Keyring::new(key(1), None).unwrap();
        let stored = before.seal(b"secret");
        let rotating = Keyring::new(key(2), Some(key(1))).unwrap();
        assert_eq!(rotating.open(&stored).unwrap(), b"secret");
        assert_eq!(parse(&stored).unwrap().1, key(1).id());
        assert_eq!(parse(&rotating.seal(b"secret")).unwrap().1, key(2).id());
    }

    #[test]
    fn a_value_under_an_unknown_key_names_the_variables() {
        let stored = Keyring::new(key(1), None).unwrap().seal(b"secret");
        let err = Keyring::new(key(2), Some(key(3))).unwrap().open(&stored).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "cannot decrypt a stored secret: it was encrypted with key {}, which is neither TELEOPS_SECRET_KEY \
                 (key {}) nor TELEOPS_SECRET_KEY_OLD (key {})",
                key(1).id(),
                key(2).id(),
                key(3).id()
            )
        );
        let err = Keyring::new(key(2), None).unwrap().open(&stored).unwrap_err().to_string();
        assert!(err.ends_with("nor TELEOPS_SECRET_KEY_OLD (not set)"), "{err}");
    }

    #[test]
    fn edited_values_fail_authentication() {
        let ring = Keyring::new(key(1), None).unwrap();
        let stored = ring.seal(b"secret");
        let (header, data) = stored.rsplit_once(':').unwrap();
        let mut bytes = BASE64.decode(data).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let flipped = format!("{header}:{}", BASE64.encode(&bytes));
        assert!(matches!(ring.open(&flipped), Err(CryptoError::Forged(_))));
        assert!(ring.open(&flipped).unwrap_err().to_string().contains("TELEOPS_SECRET_KEY"));
        // A value relabelled with the other key's id does not open either.
        let both = Keyring::new(key(1), Some(key(2))).unwrap();
        let relabelled = stored.replacen(&key(1).id().to_string(), &key(2).id().to_string(), 1);
        assert!(matches!(both.open(&relabelled), Err(CryptoError::Forged(_))));
    }

    #[test]
    fn plaintext_and_junk_are_malformed() {
        let ring = Keyring::new(key(1), None).unwrap();
        for junk in ["+79001234567", "v1:", "v1:zz:AAAA", "v1:00000000:not base64!", "v1:00000000:AAAA"] {
            assert!(matches!(ring.open(junk), Err(CryptoError::Malformed)), "{junk}");
        }
    }

    #[test]
    fn the_old_key_must_differ_from_the_current_one() {
        assert!(matches!(Keyring::new(key(1), Some(key(1))), Err(KeyError::OldIsCurrent(_))));
    }
}
