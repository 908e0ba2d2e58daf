//! Password hashing with argon2id at OWASP's recommended cost (19 MiB, 2 passes, 1 lane: the
//! argon2 crate's defaults). Hashing takes tens of milliseconds, so it runs off the async threads.

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::error::AppError;

/// OWASP asks for at least 8; a little more costs shoppers nothing with a password manager.
pub const MIN_LENGTH: usize = 10;
/// argon2 takes any length, but a cap keeps hashing time bounded.
pub const MAX_LENGTH: usize = 128;

/// Every password of an allowed length among the million most common in a ten-million-password
/// breach corpus, lower-cased and sorted bytewise (`scripts/common-passwords` says where it came
/// from and rebuilds it).
const COMMON: &str = include_str!("common_passwords.txt");

fn is_common(lowered: &str) -> bool {
    static SORTED: std::sync::LazyLock<Vec<&str>> =
        std::sync::LazyLock::new(|| COMMON.lines().collect());
    SORTED.binary_search(&lowered).is_ok()
}

/// A new password's rules: long enough, not absurdly long, not a well-known password and not the
/// account's own email address.
pub fn check_new(password: &str, email: &str) -> Result<(), AppError> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(AppError::bad_request(format!(
            "Use at least {MIN_LENGTH} characters for your password."
        )));
    }
    if length > MAX_LENGTH {
        return Err(AppError::bad_request(format!(
            "Use at most {MAX_LENGTH} characters for your password."
        )));
    }
    let lowered = password.to_lowercase();
    let local_part = email.split('@').next().unwrap_or_default();
    if is_common(&lowered) || lowered == email || lowered == local_part {
        return Err(AppError::bad_request(
            "That password is too easy to guess. Choose something less common.",
        ));
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Hashes at once: each takes 19 MiB and a core for tens of milliseconds, so a burst of sign-ins
/// queues here instead of exhausting memory and starving every other request.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

pub async fn hash(password: String) -> Result<String, HashError> {
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|error| HashError(error.to_string()))?;
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
    let Ok(_permit) = HASHING.acquire().await else {
        return false;
    };
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

/// Spends the time of a real check on a hash nobody's password matches, so a sign-in for an unknown
/// address answers no faster than one for a registered address.
pub async fn verify_against_nothing(password: String) {
    static DECOY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    let decoy = DECOY
        .get_or_init(|| async { hash(generate(24)).await.unwrap_or_default() })
        .await
        .clone();
    verify(password, decoy).await;
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
    fn weak_passwords_are_refused() {
        let email = "ada.lovelace@example.com";
        for weak in [
            "short",
            "password123",
            "Password123",
            "QWERTYUIOP",
            "ada.lovelace@example.com",
            "ada.lovelace",
        ] {
            assert!(super::check_new(weak, email).is_err(), "{weak}");
        }
        assert!(super::check_new("analytical engine 1843", email).is_ok());
        assert!(super::check_new(&"x".repeat(129), email).is_err());
    }

    #[test]
    fn the_breached_list_is_sorted_for_binary_search_and_reaches_deep_into_the_corpus() {
        let sorted: Vec<&str> = super::COMMON.lines().collect();
        assert!(sorted.len() > 100_000, "{}", sorted.len());
        assert!(sorted.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(sorted.iter().all(|password| {
            (super::MIN_LENGTH..=super::MAX_LENGTH).contains(&password.chars().count())
                && *password == password.to_lowercase()
        }));
        // Near the millionth most common: far past any short hand-kept list.
        for breached in ["welcomeace420", "Q1W2E3R4T5", "summer2026"] {
            assert!(
                super::check_new(breached, "a@example.com").is_err(),
                "{breached}"
            );
        }
    }

    #[test]
    fn generated_passwords_differ() {
        let (a, b) = (super::generate(16), super::generate(16));
        assert_eq!(a.len(), 16);
        assert_ne!(a, b);
    }
}
