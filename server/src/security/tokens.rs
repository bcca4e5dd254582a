//! Session tokens. A login issues a token `<id>.<secret>`: a public id to
//! find it by (8 random bytes, hex) and a secret (32 random bytes, 256 bits,
//! base64url). The server keeps only the secret's SHA-256, compared in
//! constant time, so neither its memory nor its database holds a token that
//! works. Each login (tab, device) has its own token; a resume swaps it for
//! a new one (the old one stops working); logout drops every token of the
//! agent.
//!
//! Lifetimes: a token with no socket attached expires after `idle`; none
//! resumes after `lifetime` from its login, however often it was rotated. A
//! socket already attached keeps working until it closes: expiry never cuts
//! an agent off mid-call.

use std::{collections::HashMap, time::Duration};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Tokens one agent may hold at once (tabs and devices); past this, the
/// least recently used one without a socket is dropped.
const MAX_TOKENS_PER_AGENT: usize = 16;

/// How long tokens last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenPolicy {
    /// A token with no socket expires after this long unused.
    pub idle: Duration,
    /// No token resumes after this long from its login.
    pub lifetime: Duration,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(15 * 60),
            lifetime: Duration::from_secs(12 * 3600),
        }
    }
}

/// A token as stored (for a restart): no secret, only its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    pub id: String,
    pub agent_id: String,
    /// Hex SHA-256 of the secret.
    pub digest: String,
    pub login_at_ms: u64,
    pub last_used_ms: u64,
}

/// Why a token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("unknown session token")]
    Unknown,
    #[error("the session token expired")]
    Expired,
}

#[derive(Debug)]
struct Entry {
    stored: StoredToken,
    digest: [u8; 32],
    sockets: usize,
}

/// Every live token, by id and by agent (logins, logouts and saves touch
/// one agent's tokens, never a scan of everyone's).
#[derive(Debug, Default)]
pub struct Tokens {
    by_id: HashMap<String, Entry>,
    ids_of: HashMap<String, Vec<String>>,
    policy: TokenPolicy,
}

impl Tokens {
    pub fn new(policy: TokenPolicy) -> Self {
        Self {
            by_id: HashMap::new(),
            ids_of: HashMap::new(),
            policy,
        }
    }

    fn insert(&mut self, entry: Entry) {
        self.remove(&entry.stored.id);
        self.ids_of
            .entry(entry.stored.agent_id.clone())
            .or_default()
            .push(entry.stored.id.clone());
        self.by_id.insert(entry.stored.id.clone(), entry);
    }

    fn remove(&mut self, id: &str) -> Option<Entry> {
        let entry = self.by_id.remove(id)?;
        if let Some(ids) = self.ids_of.get_mut(&entry.stored.agent_id) {
            ids.retain(|other| other != id);
            if ids.is_empty() {
                self.ids_of.remove(&entry.stored.agent_id);
            }
        }
        Some(entry)
    }

    fn entries_of<'a>(&'a self, agent_id: &str) -> impl Iterator<Item = &'a Entry> + 'a {
        self.ids_of
            .get(agent_id)
            .into_iter()
            .flatten()
            .filter_map(|id| self.by_id.get(id))
    }

    /// A new token for `agent_id`, whose login happened at `login_at_ms`.
    pub fn issue(&mut self, agent_id: &str, login_at_ms: u64, now_ms: u64) -> String {
        self.make_room(agent_id);
        let id = hex(&rand::random::<[u8; 8]>());
        let secret = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let digest = sha256(&secret);
        self.insert(Entry {
            stored: StoredToken {
                id: id.clone(),
                agent_id: agent_id.to_string(),
                digest: hex(&digest),
                login_at_ms,
                last_used_ms: now_ms,
            },
            digest,
            sockets: 0,
        });
        format!("{id}.{secret}")
    }

    /// The agent of a valid `token` that may attach a new socket now.
    pub fn verify(&self, token: &str, now_ms: u64) -> Result<&str, TokenError> {
        let entry = self.entry(token)?;
        let s = &entry.stored;
        let lived = Duration::from_millis(now_ms.saturating_sub(s.login_at_ms));
        let unused = Duration::from_millis(now_ms.saturating_sub(s.last_used_ms));
        if lived > self.policy.lifetime || (entry.sockets == 0 && unused > self.policy.idle) {
            return Err(TokenError::Expired);
        }
        Ok(&s.agent_id)
    }

    /// The agent of `token` for a socket already attached with it: only
    /// that it still exists (logout drops it), not its age.
    pub fn agent_of(&self, token: &str) -> Result<&str, TokenError> {
        Ok(&self.entry(token)?.stored.agent_id)
    }

    /// Swaps a valid `token` for a new one of the same login.
    pub fn rotate(&mut self, token: &str, now_ms: u64) -> Result<(String, String), TokenError> {
        let agent_id = self.verify(token, now_ms)?.to_string();
        let (id, _) = token.split_once('.').ok_or(TokenError::Unknown)?;
        let old = self.remove(id).ok_or(TokenError::Unknown)?;
        let new = self.issue(&agent_id, old.stored.login_at_ms, now_ms);
        Ok((agent_id, new))
    }

    /// A socket attached with `token`.
    pub fn socket_joined(&mut self, token: &str) {
        if let Some(entry) = self.entry_mut(token) {
            entry.sockets += 1;
        }
    }

    /// A socket attached with `token` left at `now_ms`: its idle time starts.
    pub fn socket_left(&mut self, token: &str, now_ms: u64) {
        if let Some(entry) = self.entry_mut(token) {
            entry.sockets = entry.sockets.saturating_sub(1);
            entry.stored.last_used_ms = now_ms;
        }
    }

    /// Drops every token of the agent (logout, session end).
    pub fn drop_agent(&mut self, agent_id: &str) {
        for id in self.ids_of.remove(agent_id).unwrap_or_default() {
            self.by_id.remove(&id);
        }
    }

    /// The agent's tokens, to store.
    pub fn of_agent(&self, agent_id: &str) -> Vec<StoredToken> {
        let mut tokens: Vec<_> = self
            .entries_of(agent_id)
            .map(|e| e.stored.clone())
            .collect();
        tokens.sort_by(|a, b| a.id.cmp(&b.id));
        tokens
    }

    /// Brings back a stored token (after a restart); a malformed one is
    /// skipped.
    pub fn restore(&mut self, stored: StoredToken) {
        let Some(digest) = unhex(&stored.digest) else {
            return;
        };
        self.insert(Entry {
            stored,
            digest,
            sockets: 0,
        });
    }

    fn entry(&self, token: &str) -> Result<&Entry, TokenError> {
        let (id, secret) = token.split_once('.').ok_or(TokenError::Unknown)?;
        let entry = self.by_id.get(id).ok_or(TokenError::Unknown)?;
        if bool::from(entry.digest.ct_eq(&sha256(secret))) {
            Ok(entry)
        } else {
            Err(TokenError::Unknown)
        }
    }

    fn entry_mut(&mut self, token: &str) -> Option<&mut Entry> {
        self.entry(token).ok()?;
        let (id, _) = token.split_once('.')?;
        self.by_id.get_mut(id)
    }

    fn make_room(&mut self, agent_id: &str) {
        if self.entries_of(agent_id).count() < MAX_TOKENS_PER_AGENT {
            return;
        }
        if let Some(oldest) = self
            .entries_of(agent_id)
            .filter(|e| e.sockets == 0)
            .min_by_key(|e| e.stored.last_used_ms)
            .map(|e| e.stored.id.clone())
        {
            self.remove(&oldest);
        }
    }
}

fn sha256(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if text.len() != 64 {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60_000;

    fn tokens() -> Tokens {
        Tokens::new(TokenPolicy {
            idle: Duration::from_secs(15 * 60),
            lifetime: Duration::from_secs(12 * 3600),
        })
    }

    #[test]
    fn tokens_are_random_and_only_their_owner_matches() {
        let mut t = tokens();
        let a = t.issue("1001", 0, 0);
        let b = t.issue("1001", 0, 0);
        assert_ne!(a, b);
        let (id, secret) = a.split_once('.').unwrap();
        assert_eq!(id.len(), 16);
        assert_eq!(URL_SAFE_NO_PAD.decode(secret).unwrap().len(), 32);
        assert_eq!(t.verify(&a, 0), Ok("1001"));
        // The right id with a wrong secret, a wrong id, garbage: unknown.
        let forged = format!("{id}.{}", URL_SAFE_NO_PAD.encode([0u8; 32]));
        for bad in [forged.as_str(), "0000000000000000.x", "nonsense", "", "."] {
            assert_eq!(t.verify(bad, 0), Err(TokenError::Unknown), "{bad}");
        }
        // Nothing stored works as a token.
        let stored = &t.of_agent("1001")[0];
        assert!(!stored.digest.contains(secret));
        assert_eq!(
            t.verify(&format!("{}.{}", stored.id, stored.digest), 0),
            Err(TokenError::Unknown)
        );
    }

    #[test]
    fn rotation_retires_the_old_token_and_keeps_the_login_time() {
        let mut t = tokens();
        let first = t.issue("1001", 0, 0);
        let (agent, second) = t.rotate(&first, MIN).unwrap();
        assert_eq!(agent, "1001");
        assert_eq!(t.verify(&first, MIN), Err(TokenError::Unknown));
        assert_eq!(t.verify(&second, MIN), Ok("1001"));
        assert_eq!(t.of_agent("1001")[0].login_at_ms, 0);
    }

    #[test]
    fn idle_and_lifetime_expiry() {
        let mut t = tokens();
        let token = t.issue("1001", 0, 0);
        assert!(t.verify(&token, 15 * MIN).is_ok());
        assert_eq!(t.verify(&token, 15 * MIN + 1), Err(TokenError::Expired));
        // While a socket is attached it does not idle out...
        t.socket_joined(&token);
        assert!(t.verify(&token, 60 * MIN).is_ok());
        // ...and its idle time starts when the socket leaves.
        t.socket_left(&token, 60 * MIN);
        assert!(t.verify(&token, 70 * MIN).is_ok());
        assert_eq!(t.verify(&token, 76 * MIN), Err(TokenError::Expired));
        // An attached socket keeps working past the lifetime; a new one
        // cannot attach.
        t.socket_joined(&token);
        assert_eq!(t.verify(&token, 13 * 60 * MIN), Err(TokenError::Expired));
        assert_eq!(t.agent_of(&token), Ok("1001"));
    }

    #[test]
    fn logout_drops_every_token_of_the_agent() {
        let mut t = tokens();
        let a = t.issue("1001", 0, 0);
        let b = t.issue("1001", 0, 0);
        let c = t.issue("1002", 0, 0);
        t.drop_agent("1001");
        assert_eq!(t.agent_of(&a), Err(TokenError::Unknown));
        assert_eq!(t.agent_of(&b), Err(TokenError::Unknown));
        assert_eq!(t.agent_of(&c), Ok("1002"));
    }

    #[test]
    fn stored_tokens_come_back_after_a_restart() {
        let mut t = tokens();
        let token = t.issue("1001", 5, 7);
        let stored = t.of_agent("1001");
        let mut after = tokens();
        for s in stored {
            after.restore(s);
        }
        assert_eq!(after.verify(&token, 8), Ok("1001"));
    }

    #[test]
    fn an_agent_holds_a_bounded_number_of_tokens() {
        let mut t = tokens();
        let first = t.issue("1001", 0, 0);
        for i in 1..=MAX_TOKENS_PER_AGENT as u64 {
            t.issue("1001", 0, i);
        }
        assert_eq!(t.of_agent("1001").len(), MAX_TOKENS_PER_AGENT);
        assert_eq!(t.verify(&first, 20), Err(TokenError::Unknown));
    }
}
