//! Password hashing with argon2id at OWASP's recommended cost (19 MiB, 2 passes, 1 lane: the
//! argon2 crate's defaults). Hashing takes tens of milliseconds, so it runs off the async threads.

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

pub async fn hash(password: String) -> Result<String, HashError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|error| HashError(error.to_string()))
    })
    .await
    .map_err(|error| HashError(error.to_string()))?
}

/// True only when `password` matches `stored`; a malformed stored hash never matches.
pub async fn verify(password: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A random password of `length` characters from an alphabet without look-alikes (no 0/O, 1/l/I).
pub fn generate(length: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = vec![0_u8; length];
    OsRng.fill_bytes(&mut bytes);
    // 256 is not a multiple of the alphabet size; the bias this leaves is far below what matters here.
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let hash = super::hash("correct horse".into()).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(super::verify("correct horse".into(), hash.clone()).await);
        assert!(!super::verify("wrong horse".into(), hash).await);
        assert!(!super::verify("x".into(), "not a hash".into()).await);
    }

    #[test]
    fn generated_passwords_differ() {
        let (a, b) = (super::generate(16), super::generate(16));
        assert_eq!(a.len(), 16);
        assert_ne!(a, b);
    }
}
