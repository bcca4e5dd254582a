//! Agent passwords, stored as Argon2id hashes (PHC strings such as
//! `$argon2id$v=19$m=19456,t=2,p=1$…`). The configuration never holds a
//! password itself; `server hash-password` makes the hash.

use std::sync::LazyLock;

use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::{PasswordHasher, phc::PasswordHash},
};
use subtle::ConstantTimeEq;

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
/// milliseconds): call it off the async runtime's threads, or better through
/// [`super::password_checks::PasswordChecks`], which bounds how many run.
pub fn verify(stored: Option<&str>, password: &str) -> bool {
    verify_in(stored, password, &mut Vec::new())
}

/// [`verify`] with Argon2's working memory (19 MiB at the default cost) in
/// `memory`, grown as the hash's cost asks and kept by the caller for the
/// next check: a worker that checks many passwords allocates it once, so
/// memory does not pile up in the allocator's per-thread arenas.
pub fn verify_in(stored: Option<&str>, password: &str, memory: &mut Vec<Block>) -> bool {
    let known = stored.is_some();
    let Ok(hash) = PasswordHash::new(stored.unwrap_or(&DECOY_HASH)) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm.as_str()) else {
        return false;
    };
    let Ok(version) = hash
        .version
        .map_or(Ok(Version::default()), Version::try_from)
    else {
        return false;
    };
    let Ok(params) = Params::try_from(&hash) else {
        return false;
    };
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::new());
    }
    let mut output = [0u8; 64];
    let Some(output) = output.get_mut(..expected.len()) else {
        return false;
    };
    let hashed = Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password.as_bytes(), salt, output, &mut memory[..blocks])
        .is_ok();
    let matches = hashed && bool::from(output.ct_eq(expected.as_bytes()));
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
    fn one_buffer_serves_hashes_of_any_cost() {
        let cheap = {
            let params = Params::new(8, 1, 1, None).unwrap();
            Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                .hash_password(b"demo")
                .unwrap()
                .to_string()
        };
        let dear = hash_password("demo").unwrap();
        let mut memory = Vec::new();
        assert!(verify_in(Some(&cheap), "demo", &mut memory));
        assert!(verify_in(Some(&dear), "demo", &mut memory));
        let grown = memory.len();
        assert_eq!(grown, 19 * 1024, "the default cost's blocks, once");
        assert!(verify_in(Some(&cheap), "demo", &mut memory));
        assert!(!verify_in(Some(&cheap), "demO", &mut memory));
        assert!(!verify_in(Some(&dear), "", &mut memory));
        assert_eq!(memory.len(), grown, "reused, not grown again");
    }

    #[test]
    fn the_decoy_is_a_valid_hash() {
        assert_eq!(check_stored("decoy", &DECOY_HASH), Ok(()));
    }
}
