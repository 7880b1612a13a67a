//! The key that protects secrets at rest, and how `up` creates one on first run.
//!
//! The key is 32 random bytes written as 64 hex characters. Only `teleops up` generates it (into
//! `$DATA_DIR/secret.key`, mode 0600); every other role must be given it.

use std::io::Write;
use std::path::Path;

use crate::config::Secret;

/// Why a key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The text is not 64 hex characters.
    #[error("must be 64 hex characters (32 bytes), e.g. from `openssl rand -hex 32`")]
    Malformed,
    /// The key file could not be read or written.
    #[error("key file {path}: {source}")]
    Io { path: String, source: std::io::Error },
}

/// 32 bytes of key material.
#[derive(Clone)]
pub struct SecretKey(Secret<[u8; 32]>);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
