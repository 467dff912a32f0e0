//! Canvas secrets sealed at rest: each value encrypted with XChaCha20-Poly1305
//! under the server's key, a random nonce per value, and the canvas and
//! secret name as associated data (a sealed value moved to another row does
//! not open). The key is 32 bytes, written as 64 hex characters.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use std::io::Write;
use std::path::Path;

/// What can go wrong with the key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the secret key must be 64 hex characters (32 bytes), {0}")]
    Malformed(String),
    #[error("cannot read the secret key file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create the secret key file {path}: {source}")]
    Create {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// The server's key for canvas secrets. Never printed.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

/// Bytes of the nonce at the start of a sealed value.
const NONCE_BYTES: usize = 24;

impl SecretKey {
    /// A new random key.
    pub fn generate() -> SecretKey {
        SecretKey(XChaCha20Poly1305::generate_key(&mut OsRng).into())
    }

    pub fn from_hex(text: &str) -> Result<SecretKey, KeyError> {
        let text = text.trim();
        if text.len() != 64 {
            return Err(KeyError::Malformed(format!("not {} characters", text.len())));
        }
        let bytes = hex_decode(text).ok_or_else(|| KeyError::Malformed("found a character that is not hex".into()))?;
        let mut key = [0u8; 32];
        key.copy_from_slice(&bytes);
        Ok(SecretKey(key))
    }

    pub fn to_hex(&self) -> String {
        hex_encode(&self.0)
    }

    /// The key in the file at `path`, created (mode 0600, its directory
    /// too) with a new random key when there is no file.
    pub fn load_or_create(path: &Path) -> Result<SecretKey, KeyError> {
        let shown = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => SecretKey::from_hex(&text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key = SecretKey::generate();
                let create = |source| KeyError::Create { path: shown.clone(), source };
                if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(create)?;
                }
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(path).map_err(create)?;
                writeln!(file, "{}", key.to_hex()).and_then(|()| file.sync_all()).map_err(create)?;
                Ok(key)
            }
            Err(source) => Err(KeyError::Read { path: shown, source }),
        }
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&self.0.into())
    }

    /// The sealed form of a secret's value: hex of nonce and ciphertext.
    pub(crate) fn seal(&self, canvas: &str, name: &str, value: &str) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = associated_data(canvas, name);
        let sealed = self
            .cipher()
            .encrypt(&nonce, Payload { msg: value.as_bytes(), aad: &aad })
            // Encryption fails only for plaintexts past 256 GiB.
            .unwrap_or_default();
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        hex_encode(&bytes)
    }

    /// The value of a sealed secret; `None` when it does not open with this
    /// key (another key, or the row was altered).
    pub(crate) fn open(&self, canvas: &str, name: &str, sealed: &str) -> Option<String> {
        let bytes = hex_decode(sealed)?;
        if bytes.len() < NONCE_BYTES {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let aad = associated_data(canvas, name);
        let plain = self.cipher().decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: &aad }).ok()?;
        String::from_utf8(plain).ok()
    }
}

/// Canvas and name, length-prefixed so no two pairs give the same bytes.
fn associated_data(canvas: &str, name: &str) -> Vec<u8> {
    let mut data = (canvas.len() as u64).to_be_bytes().to_vec();
    data.extend_from_slice(canvas.as_bytes());
    data.extend_from_slice(name.as_bytes());
    data
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_canvas_and_name() {
        let key = SecretKey::generate();
        let sealed = key.seal("shop", "stripe", "sk_live_123");
        assert!(!sealed.contains("sk_live_123"));
        assert_ne!(sealed, key.seal("shop", "stripe", "sk_live_123"), "a fresh nonce each time");
        assert_eq!(key.open("shop", "stripe", &sealed).as_deref(), Some("sk_live_123"));
        assert_eq!(key.open("shop", "other", &sealed), None);
        assert_eq!(key.open("blog", "stripe", &sealed), None);
        assert_eq!(SecretKey::generate().open("shop", "stripe", &sealed), None);
        assert_eq!(key.open("shop", "stripe", "zz"), None);
    }

    #[test]
    fn keys_read_from_hex_and_files() {
        let key = SecretKey::generate();
        assert_eq!(SecretKey::from_hex(&key.to_hex()).expect("hex").0, key.0);
        assert!(matches!(SecretKey::from_hex("abc"), Err(KeyError::Malformed(_))));
        assert!(matches!(SecretKey::from_hex(&"g".repeat(64)), Err(KeyError::Malformed(_))));
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join(".gloam/secret.key");
        let created = SecretKey::load_or_create(&path).expect("created");
        assert_eq!(SecretKey::load_or_create(&path).expect("read back").0, created.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("exists").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
