//! [`Encrypted`]: the column type for secrets, and the process's keyring that it seals and opens
//! values with.
//!
//! sea-orm converts a column value without any context (`TryGetable`, `Into<Value>`), yet sealing
//! and opening need the key. So the key is ambient: startup calls [`install`] once with the
//! process's keyring, and from then on an entity field of type `Encrypted<String>` reads and writes
//! its ciphertext column transparently. The conversions that can fail do so clearly: reading a
//! value sealed with a key the keyring lacks is a `DbErr` naming `TELEOPS_SECRET_KEY`, and
//! [`Encrypted::new`] returns an error when no keyring is installed. Writing cannot fail: an
//! `Encrypted` holds its stored form from the moment it is made.
//!
//! One process has one installed keyring. `install` again with the same keys is a no-op (a test's
//! app restarting in the same process) and with other keys an error, never a silent switch.
//! Code that must use a particular keyring (the rotation tests, which play several restarts with
//! different keys inside one test process) runs inside [`scoped`], a task-local override of the
//! installed keyring for one future. `rotate` and `seal_plaintext` take their keyring explicitly.

use std::fmt;
use std::sync::{Arc, OnceLock};

use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, DbErr, QueryResult, TryGetError, TryGetable, Value};

use super::{CryptoError, KeyId, Keyring};
use crate::config::Secret;

/// What an [`Encrypted`] column can hold: a value that turns into bytes and back.
pub trait Plaintext: Sized {
    fn as_bytes(&self) -> &[u8];
    fn from_bytes(bytes: Vec<u8>) -> Result<Self, CryptoError>;
}

impl Plaintext for String {
    fn as_bytes(&self) -> &[u8] {
        self.as_bytes()
    }
    fn from_bytes(bytes: Vec<u8>) -> Result<Self, CryptoError> {
        String::from_utf8(bytes).map_err(|_| CryptoError::NotPlaintext("UTF-8 text"))
    }
}

impl Plaintext for Vec<u8> {
    fn as_bytes(&self) -> &[u8] {
        self
    }
    fn from_bytes(bytes: Vec<u8>) -> Result<Self, CryptoError> {
        Ok(bytes)
    }
}

/// A secret stored encrypted in a TEXT column. It holds both the value and its stored form; Debug
/// and Display print `[redacted]`, and equality compares the values.
#[derive(Clone)]
pub struct Encrypted<T> {
    value: Secret<T>,
    // Invariant: `stored` is `value` sealed by some keyring's current key.
    stored: String,
}

impl<T: Plaintext> Encrypted<T> {
    /// Seals `value` with the process's keyring (see [`install`] and [`scoped`]).
    pub fn new(value: T) -> Result<Self, CryptoError> {
        Ok(Self::seal_with(&*ambient()?, value))
    }

    /// Seals `value` with the current key of `keyring`.
    pub fn seal_with(keyring: &Keyring, value: T) -> Self {
        let stored = keyring.seal(value.as_bytes());
        Self { value: Secret::new(value), stored }
    }

    /// Opens a stored value with `keyring`.
    pub fn open_with(keyring: &Keyring, stored: String) -> Result<Self, CryptoError> {
        let value = T::from_bytes(keyring.open(&stored)?)?;
        Ok(Self { value: Secret::new(value), stored })
    }

    /// The secret itself; call it only where the value is used.
    pub fn expose(&self) -> &T {
        self.value.expose()
    }

    /// The key this value is sealed with.
    pub fn key_id(&self) -> KeyId {
        super::parse(&self.stored).expect("an Encrypted holds a well-formed stored value").1
    }
}

impl<T> fmt::Debug for Encrypted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T> fmt::Display for Encrypted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T: PartialEq> PartialEq for Encrypted<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value.expose() == other.value.expose()
    }
}

impl<T: Eq> Eq for Encrypted<T> {}

/// Installs the process's keyring; startup does this once, before any role runs. Installing the
/// same keys again is a no-op; other keys are refused.
pub fn install(keyring: Keyring) -> Result<(), CryptoError> {
    let installed = INSTALLED.get_or_init(|| Arc::new(keyring.clone()));
    if installed.same_keys(&keyring) { Ok(()) } else { Err(CryptoError::AlreadyInstalled) }
}

/// Runs `future` with `keyring` in place of the installed one (for this task only).
pub async fn scoped<F: Future>(keyring: Keyring, future: F) -> F::Output {
    SCOPED.scope(Arc::new(keyring), future).await
}

static INSTALLED: OnceLock<Arc<Keyring>> = OnceLock::new();

tokio::task_local! {
    static SCOPED: Arc<Keyring>;
}

/// The keyring in effect here: the scoped one, else the installed one.
fn ambient() -> Result<Arc<Keyring>, CryptoError> {
    SCOPED.try_with(Arc::clone).ok().or_else(|| INSTALLED.get().cloned()).ok_or(CryptoError::NoKeyring)
}

fn open_ambient<T: Plaintext>(stored: String) -> Result<Encrypted<T>, CryptoError> {
    Encrypted::open_with(&*ambient()?, stored)
}

impl<T> From<Encrypted<T>> for Value {
    fn from(encrypted: Encrypted<T>) -> Self {
        Value::String(Some(encrypted.stored))
    }
}

impl<T: Plaintext> TryGetable for Encrypted<T> {
    fn try_get_by<I: ColIdx>(res: &QueryResult, index: I) -> Result<Self, TryGetError> {
        let stored = String::try_get_by(res, index)?;
        open_ambient(stored).map_err(|e| {
            TryGetError::DbErr(DbErr::TryIntoErr { from: "String", into: "Encrypted", source: Arc::new(e) })
        })
    }
}

impl<T: Plaintext> ValueType for Encrypted<T> {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        let stored = <String as ValueType>::try_from(v)?;
        open_ambient(stored).map_err(|_| ValueTypeErr)
    }

    fn type_name() -> String {
        "Encrypted".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::String
    }

    fn column_type() -> ColumnType {
        ColumnType::Text
    }
}

impl<T> Nullable for Encrypted<T> {
    fn null() -> Value {
        Value::String(None)
    }
}

/// Serialized as its stored form, so a secret inside serialized state (a dialogue's) is sealed
/// too; deserializing opens it with the ambient keyring.
impl<T> serde::Serialize for Encrypted<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.stored)
    }
}

impl<'de, T: Plaintext> serde::Deserialize<'de> for Encrypted<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let stored = String::deserialize(deserializer)?;
        open_ambient(stored).map_err(serde::de::Error::custom)
    }
}

impl<T> sea_orm::IntoActiveValue<Encrypted<T>> for Encrypted<T>
where
    Encrypted<T>: Into<Value>,
{
    fn into_active_value(self) -> sea_orm::ActiveValue<Encrypted<T>> {
        sea_orm::ActiveValue::Set(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SecretKey;

    fn ring(byte: u8) -> Keyring {
        Keyring::new(SecretKey::from_hex(&format!("{byte:02x}").repeat(32)).unwrap(), None).unwrap()
    }

    #[test]
    fn debug_and_display_are_redacted() {
        let phone = Encrypted::seal_with(&ring(1), "+79001234567".to_owned());
        assert_eq!(format!("{phone:?} {phone}"), "[redacted] [redacted]");
        assert_eq!(format!("{:?}", Some(phone.clone())), "Some([redacted])");
        assert_eq!(phone.expose(), "+79001234567");
        assert_eq!(phone.key_id(), ring(1).current_id());
    }

    #[test]
    fn the_column_value_is_the_stored_form() {
        let phone = Encrypted::seal_with(&ring(1), "+79001234567".to_owned());
        let Value::String(Some(stored)) = Value::from(phone.clone()) else { panic!("a text value") };
        assert!(stored.starts_with("v1:") && !stored.contains("9001234567"));
        let again = Encrypted::<String>::open_with(&ring(1), stored.clone()).unwrap();
        assert_eq!(again, phone);
        assert!(
            Encrypted::<String>::open_with(&ring(2), stored).unwrap_err().to_string().contains("TELEOPS_SECRET_KEY")
        );
    }

    #[test]
    fn install_takes_the_same_keys_again_but_never_others() {
        // The only test in this binary that installs: the others use explicit or scoped keyrings.
        install(ring(9)).unwrap();
        install(ring(9)).unwrap();
        assert!(matches!(install(ring(8)), Err(CryptoError::AlreadyInstalled)));
        let sealed = Encrypted::new("x".to_owned()).unwrap();
        assert_eq!(sealed.key_id(), ring(9).current_id());
    }

    #[tokio::test]
    async fn serialized_it_is_sealed_and_opens_only_with_its_key() {
        let json =
            scoped(ring(5), async { serde_json::to_string(&Encrypted::new("pw".to_owned()).unwrap()).unwrap() }).await;
        assert!(json.starts_with("\"v1:") && !json.contains("pw\""), "{json}");
        let back: Encrypted<String> = scoped(ring(5), async { serde_json::from_str(&json).unwrap() }).await;
        assert_eq!(back.expose(), "pw");
        let refused = scoped(ring(6), async { serde_json::from_str::<Encrypted<String>>(&json) }).await;
        assert!(refused.is_err());
    }

    #[tokio::test]
    async fn a_scoped_keyring_seals_and_opens_through_value_conversions() {
        let stored = scoped(ring(3), async {
            let Value::String(Some(stored)) = Value::from(Encrypted::new("secret".to_owned()).unwrap()) else {
                panic!("a text value")
            };
            let back: Encrypted<String> = ValueType::try_from(Value::String(Some(stored.clone()))).unwrap();
            assert_eq!(back.expose(), "secret");
            stored
        })
        .await;
        assert!(stored.starts_with(&format!("v1:{}:", ring(3).current_id())));
        let refused =
            scoped(ring(4), async { <Encrypted<String> as ValueType>::try_from(Value::String(Some(stored))) });
        assert!(refused.await.is_err());
    }
}
