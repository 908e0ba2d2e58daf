//! Random tokens: one-time links, sign-in ids, idempotency and checkout keys, the test gateway's
//! ids. Every feature that needs an unguessable value takes it from here.

use argon2::password_hash::rand_core::{OsRng, RngCore};

/// 32 random bytes from the operating system, as hex.
pub fn random_token() -> String {
    let mut bytes = [0_u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// Bytes as lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_64_hex_digits_and_differ() {
        let (a, b) = (super::random_token(), super::random_token());
        assert_eq!(a.len(), 64);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
    }
}
