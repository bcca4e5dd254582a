//! Desk phones' registrations (RFC 3261 §10): a configured phone's
//! REGISTER is challenged with digest authentication (RFC 8760 MD5, realm
//! `ccp`, `qop=auth`) and checked against its HA1; a good one binds the
//! extension to the phone's Contact, reached where the REGISTER came from
//! (so a phone behind NAT, or on a TCP connection, is reached the same way).

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

use super::transport::Peer;
use crate::switch::config::SipPhoneConfig;

/// The digest realm phones authenticate in (HA1 is `MD5(ext:ccp:password)`).
pub const REALM: &str = "ccp";
/// A nonce is good this long.
const NONCE_LIFETIME: Duration = Duration::from_secs(300);
/// At most this many nonces outstanding (the oldest go first).
const MAX_NONCES: usize = 4096;
/// Registration lifetimes are kept within these bounds (seconds).
const MIN_EXPIRES: u64 = 60;
const MAX_EXPIRES: u64 = 3600;

/// Where a registered phone is.
#[derive(Debug, Clone)]
pub struct Binding {
    /// The Request-URI of requests to it (its Contact).
    pub contact: String,
    pub peer: Peer,
    pub expires_at: Instant,
}

/// Whether a request from a phone carries its credentials.
#[derive(Debug, PartialEq, Eq)]
pub enum Auth {
    Unknown,
    Challenge(String),
    Refused,
    Passed,
}

/// What a REGISTER gets.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Not a configured phone: 404.
    Unknown,
    /// No (usable) credentials yet: 401 with this challenge.
    Challenge(String),
    /// Credentials that do not match: 403.
    Refused,
    /// Bound for this many seconds (0: unbound).
    Registered(u64),
}

pub struct Registrar {
    phones: Vec<SipPhoneConfig>,
    bindings: HashMap<String, Binding>,
    nonces: HashMap<String, Instant>,
}

/// A REGISTER's parts the registrar needs.
pub struct Register<'a> {
    pub extension: &'a str,
    pub authorization: Option<&'a str>,
    pub contact: Option<String>,
    pub expires: Option<u64>,
    pub peer: Peer,
}

impl Registrar {
    pub fn new(phones: Vec<SipPhoneConfig>) -> Self {
        Self {
            phones,
            bindings: HashMap::new(),
            nonces: HashMap::new(),
        }
    }

    /// The phone on `extension`, if configured.
    pub fn phone(&self, extension: &str) -> Option<&SipPhoneConfig> {
        self.phones.iter().find(|p| p.extension == extension)
    }

    /// Where the phone on `extension` is, if it is registered now.
    pub fn binding(&self, extension: &str) -> Option<&Binding> {
        self.bindings
            .get(extension)
            .filter(|b| b.expires_at > Instant::now())
    }

    /// Checks a request's digest credentials for the phone on
    /// `extension` (a REGISTER, or an INVITE the phone dials).
    pub fn authenticate(
        &mut self,
        extension: &str,
        method: &str,
        authorization: Option<&str>,
    ) -> Auth {
        let Some(phone) = self.phone(extension) else {
            return Auth::Unknown;
        };
        let ha1 = phone.ha1.to_ascii_lowercase();
        let Some(credentials) = authorization.and_then(digest_params) else {
            return Auth::Challenge(self.challenge(false));
        };
        let field = |name: &str| credentials.get(name).map(String::as_str).unwrap_or("");
        let fresh = self
            .nonces
            .get(field("nonce"))
            .is_some_and(|issued| issued.elapsed() < NONCE_LIFETIME);
        if !fresh {
            return Auth::Challenge(self.challenge(true));
        }
        let expected = expected_response(&ha1, method, &credentials);
        let matches = field("username") == extension
            && field("realm") == REALM
            && bool::from(expected.as_bytes().ct_eq(field("response").as_bytes()));
        if matches { Auth::Passed } else { Auth::Refused }
    }

    pub fn register(&mut self, request: Register<'_>) -> Verdict {
        match self.authenticate(request.extension, "REGISTER", request.authorization) {
            Auth::Unknown => return Verdict::Unknown,
            Auth::Challenge(challenge) => return Verdict::Challenge(challenge),
            Auth::Refused => return Verdict::Refused,
            Auth::Passed => {}
        }
        let now = Instant::now();
        let expires = request.expires.unwrap_or(MAX_EXPIRES);
        match request.contact {
            Some(contact) if expires > 0 => {
                let expires = expires.clamp(MIN_EXPIRES, MAX_EXPIRES);
                self.bindings.insert(
                    request.extension.to_string(),
                    Binding {
                        contact,
                        peer: request.peer,
                        expires_at: now + Duration::from_secs(expires),
                    },
                );
                Verdict::Registered(expires)
            }
            _ => {
                self.bindings.remove(request.extension);
                Verdict::Registered(0)
            }
        }
    }

    /// A new challenge (`WWW-Authenticate` value).
    fn challenge(&mut self, stale: bool) -> String {
        let now = Instant::now();
        self.nonces
            .retain(|_, issued| now.duration_since(*issued) < NONCE_LIFETIME);
        if self.nonces.len() >= MAX_NONCES
            && let Some(oldest) = self
                .nonces
                .iter()
                .min_by_key(|(_, issued)| **issued)
                .map(|(n, _)| n.clone())
        {
            self.nonces.remove(&oldest);
        }
        let nonce = format!(
            "{:016x}{:016x}",
            rand::random::<u64>(),
            rand::random::<u64>()
        );
        self.nonces.insert(nonce.clone(), now);
        format!(
            "Digest realm=\"{REALM}\", nonce=\"{nonce}\", algorithm=MD5, qop=\"auth\"{}",
            if stale { ", stale=true" } else { "" }
        )
    }
}

fn md5_hex(text: &str) -> String {
    Md5::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// HA1 for a phone's configuration: `MD5(extension:ccp:password)`.
pub fn ha1(extension: &str, password: &str) -> String {
    md5_hex(&format!("{extension}:{REALM}:{password}"))
}

/// The response a phone knowing the password computes (RFC 2617 §3.2.2).
fn expected_response(ha1: &str, method: &str, credentials: &HashMap<String, String>) -> String {
    let field = |name: &str| credentials.get(name).map(String::as_str).unwrap_or("");
    let ha2 = md5_hex(&format!("{method}:{}", field("uri")));
    if field("qop").eq_ignore_ascii_case("auth") {
        md5_hex(&format!(
            "{ha1}:{}:{}:{}:auth:{ha2}",
            field("nonce"),
            field("nc"),
            field("cnonce")
        ))
    } else {
        md5_hex(&format!("{ha1}:{}:{ha2}", field("nonce")))
    }
}

/// The parameters of `Digest k=v, k="v"` (commas inside quotes kept).
fn digest_params(value: &str) -> Option<HashMap<String, String>> {
    let rest = value.trim().strip_prefix("Digest")?.trim_start();
    let mut params = HashMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let name: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if name.is_empty() {
            break;
        }
        let value = if chars.peek() == Some(&'"') {
            chars.next();
            let mut quoted = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => quoted.extend(chars.next()),
                    '"' => break,
                    c => quoted.push(c),
                }
            }
            quoted
        } else {
            chars.by_ref().take_while(|c| *c != ',').collect::<String>()
        };
        params.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    (!params.is_empty()).then_some(params)
}

#[cfg(test)]
mod tests {
    use sipx_sip::auth::{Challenge, Credentials, respond};

    use super::*;

    fn registrar() -> Registrar {
        Registrar::new(vec![SipPhoneConfig {
            extension: "2005".into(),
            ha1: ha1("2005", "secret"),
            auto_answer: false,
        }])
    }

    fn register<'a>(authorization: Option<&'a str>, expires: Option<u64>) -> Register<'a> {
        Register {
            extension: "2005",
            authorization,
            contact: Some("sip:2005@192.0.2.9:5060".into()),
            expires,
            peer: Peer::udp("192.0.2.9:5060".parse().unwrap()),
        }
    }

    /// What a phone answers to `challenge` with `password`.
    fn answer(challenge: &str, password: &str) -> String {
        let challenge = Challenge::parse(challenge.as_bytes(), false).unwrap();
        respond(
            &challenge,
            &Credentials::new("2005", password),
            "REGISTER",
            "sip:ccp",
            1,
            "0a4f113b",
        )
    }

    #[test]
    fn a_phone_registers_with_its_password_and_not_without() {
        let mut registrar = registrar();
        let Verdict::Challenge(challenge) = registrar.register(register(None, None)) else {
            panic!("no challenge");
        };
        assert!(challenge.contains("realm=\"ccp\"") && challenge.contains("qop=\"auth\""));
        let wrong = answer(&challenge, "guess");
        assert_eq!(
            registrar.register(register(Some(&wrong), None)),
            Verdict::Refused
        );
        assert!(registrar.binding("2005").is_none());
        let right = answer(&challenge, "secret");
        assert_eq!(
            registrar.register(register(Some(&right), Some(30))),
            Verdict::Registered(MIN_EXPIRES),
            "too short a lifetime is raised"
        );
        let binding = registrar.binding("2005").unwrap();
        assert_eq!(binding.contact, "sip:2005@192.0.2.9:5060");
        assert_eq!(
            registrar.register(register(Some(&right), Some(0))),
            Verdict::Registered(0)
        );
        assert!(registrar.binding("2005").is_none(), "Expires: 0 unbinds");
    }

    #[test]
    fn unknown_phones_and_forged_nonces_get_nowhere() {
        let mut registrar = registrar();
        let mut other = register(None, None);
        other.extension = "2001";
        assert_eq!(registrar.register(other), Verdict::Unknown);
        let forged = "Digest username=\"2005\", realm=\"ccp\", nonce=\"made-up\", \
                      uri=\"sip:ccp\", response=\"00\"";
        assert!(matches!(
            registrar.register(register(Some(forged), None)),
            Verdict::Challenge(c) if c.contains("stale=true")
        ));
    }

    #[test]
    fn digest_parameters_are_read_with_quotes_and_commas() {
        let params = digest_params(
            "Digest username=\"2005\", realm=\"ccp\", nonce=\"a,b\", uri=\"sip:ccp\", \
             qop=auth, nc=00000001, cnonce=\"x\", response=\"abc\"",
        )
        .unwrap();
        assert_eq!(params["nonce"], "a,b");
        assert_eq!(params["qop"], "auth");
        assert_eq!(params["nc"], "00000001");
        assert!(digest_params("Basic abc").is_none());
    }
}
