//! Agent passwords, stored as Argon2id hashes (PHC strings such as
//! `$argon2id$v=19$m=19456,t=2,p=1$…`). The configuration never holds a
//! password itself; `server hash-password` makes the hash.

use std::sync::LazyLock;

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};

/// How every stored password begins.
pub const HASH_PREFIX: &str = "$argon2id$";

/// Checked against when the agent is unknown, so that an unknown agent ID
/// costs the same time as a wrong password (no agent-ID oracle): the hash of
/// a random string nobody knows, made once per process.
static DECOY_HASH: LazyLock<String> = LazyLock::new(|| {
    let secret: [u8; 16] = rand::random();
    hash_password(&format!("{secret:?}")).unwrap_or_default()
});

/// Why a configured password is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CredentialError {
    #[error(
        "the password of agent {0} is not an Argon2id hash: store the output of \
         `echo -n 'PASSWORD' | server hash-password` instead of the password itself"
    )]
    PlainText(String),
    #[error("the password hash of agent {agent} is malformed: {reason}")]
    Malformed { agent: String, reason: String },
    #[error("cannot hash the password: {0}")]
    Hashing(String),
}

/// The Argon2id hash of `password` with a random salt and the crate's
/// default cost (19 MiB, 2 passes: OWASP's recommendation).
pub fn hash_password(password: &str) -> Result<String, CredentialError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| CredentialError::Hashing(e.to_string()))
}

/// Checks that `agent`'s stored password is an Argon2id hash that parses.
pub fn check_stored(agent: &str, stored: &str) -> Result<(), CredentialError> {
    if !stored.starts_with(HASH_PREFIX) {
        return Err(CredentialError::PlainText(agent.to_string()));
    }
    PasswordHash::new(stored)
        .map(|_| ())
        .map_err(|e| CredentialError::Malformed {
            agent: agent.to_string(),
            reason: e.to_string(),
        })
}

/// Whether `password` matches `stored`; `None` (no such agent) checks the
/// decoy and says no, in about the same time. Slow on purpose (tens of
/// milliseconds): call it off the async runtime's threads.
pub fn verify(stored: Option<&str>, password: &str) -> bool {
    let known = stored.is_some();
    let Ok(hash) = PasswordHash::new(stored.unwrap_or(&DECOY_HASH)) else {
        return false;
    };
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), &hash)
        .is_ok();
    known && matches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hash = hash_password("s3cret").unwrap();
        assert!(hash.starts_with(HASH_PREFIX));
        assert_eq!(check_stored("1001", &hash), Ok(()));
        assert!(verify(Some(&hash), "s3cret"));
        assert!(!verify(Some(&hash), "s3cret "));
        assert!(!verify(None, "s3cret"));
        // Salted: the same password hashes differently each time.
        assert_ne!(hash, hash_password("s3cret").unwrap());
    }

    #[test]
    fn plain_text_and_broken_hashes_are_refused() {
        let err = check_stored("1001", "demo").unwrap_err();
        assert!(err.to_string().contains("server hash-password"), "{err}");
        assert!(matches!(
            check_stored("1001", "$argon2id$v=19$garbage"),
            Err(CredentialError::Malformed { .. })
        ));
        assert!(!verify(Some("$argon2id$v=19$garbage"), "demo"));
    }

    #[test]
    fn the_decoy_is_a_valid_hash() {
        assert_eq!(check_stored("decoy", &DECOY_HASH), Ok(()));
    }
}
