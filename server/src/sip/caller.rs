//! Who is calling, as a trunk tells it: the `P-Asserted-Identity` (RFC 3325)
//! when the trunk sends one, else the From; `anonymous` when the caller
//! withholds their identity (`Privacy: id` or `user`, RFC 3323/3325, or an
//! anonymous From). Any user part is a caller ID: a customer is never
//! refused for what theirs looks like (SIPp's own `sipp` among them).

use app::opencti::validate::{self, ANONYMOUS_CALLER, MAX_CALLER_ID_CHARS};
use sipx_sip::{HeaderName, Request};

use super::dialog::uri_of;

/// The caller ID of an INVITE from outside.
pub fn caller_id(request: &Request) -> String {
    if withheld(request) {
        return ANONYMOUS_CALLER.to_string();
    }
    let asserted = header_values(request, "P-Asserted-Identity");
    let from = request
        .headers
        .value(&HeaderName::From)
        .map(|v| String::from_utf8_lossy(&v).to_string());
    // Of several asserted identities (a sip: and a tel: URI), the first.
    let address = asserted
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .find(|a| !a.is_empty())
        .map(str::to_string)
        .or(from)
        .unwrap_or_default();
    let user = user_of(&uri_of(&address));
    let user: String = user.trim().chars().take(MAX_CALLER_ID_CHARS).collect();
    if user.eq_ignore_ascii_case(ANONYMOUS_CALLER) {
        return ANONYMOUS_CALLER.to_string();
    }
    validate::caller_id(&user).unwrap_or_else(|_| ANONYMOUS_CALLER.to_string())
}

/// Whether the caller asked that their identity not be shown.
fn withheld(request: &Request) -> bool {
    header_values(request, "Privacy")
        .iter()
        .flat_map(|v| v.split([';', ',']))
        .any(|p| {
            let p = p.trim();
            p.eq_ignore_ascii_case("id") || p.eq_ignore_ascii_case("user")
        })
}

/// Every value of the header `name` (compared without case).
fn header_values(request: &Request, name: &str) -> Vec<String> {
    request
        .headers
        .iter()
        .filter(|h| String::from_utf8_lossy(h.name().canonical()).eq_ignore_ascii_case(name))
        .map(|h| String::from_utf8_lossy(&h.value()).trim().to_string())
        .collect()
}

/// The user of a `sip:`/`sips:` URI (percent-decoded), or the number of a
/// `tel:` URI; empty when there is none (`sip:host`).
pub(super) fn user_of(uri: &str) -> String {
    let lower = uri.to_ascii_lowercase();
    if lower.starts_with("tel:") {
        return uri[4..].split(';').next().unwrap_or_default().to_string();
    }
    sipx_sip::Uri::parse(bytes::Bytes::from(uri.to_string()))
        .ok()
        .and_then(|u| u.decoded_user())
        .map(|u| String::from_utf8_lossy(&u).to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use sipx_sip::{Limits, Message, parse_datagram};

    use super::*;

    fn invite(headers: &str) -> Request {
        let text = format!(
            "INVITE sip:5000@127.0.0.1 SIP/2.0\r\n\
             Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n\
             To: <sip:5000@127.0.0.1>\r\n\
             Call-ID: c1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n\
             {headers}Content-Length: 0\r\n\r\n"
        );
        match parse_datagram(Bytes::from(text), &Limits::datagram()) {
            Ok(Message::Request(request)) => request,
            other => panic!("not a request: {other:?}"),
        }
    }

    #[test]
    fn the_from_user_is_the_caller_whatever_it_looks_like() {
        let from = |user: &str| {
            caller_id(&invite(&format!(
                "From: caller <sip:{user}@127.0.0.1:5070>;tag=1\r\n"
            )))
        };
        assert_eq!(from("+15551230001"), "+15551230001");
        assert_eq!(from("sipp"), "sipp");
        assert_eq!(from("Anonymous"), ANONYMOUS_CALLER);
        assert_eq!(
            caller_id(&invite(
                "From: \"Anonymous\" <sip:anonymous@anonymous.invalid>;tag=1\r\n"
            )),
            ANONYMOUS_CALLER
        );
        assert_eq!(
            caller_id(&invite("From: <sip:127.0.0.1>;tag=1\r\n")),
            ANONYMOUS_CALLER,
            "no user at all"
        );
    }

    #[test]
    fn an_asserted_identity_wins_over_the_from() {
        let request = invite(
            "From: sipp <sip:sipp@127.0.0.1>;tag=1\r\n\
             P-Asserted-Identity: \"Jane\" <sip:+15557654321@carrier.example;user=phone>\r\n",
        );
        assert_eq!(caller_id(&request), "+15557654321");
        let tel = invite(
            "From: sipp <sip:sipp@127.0.0.1>;tag=1\r\n\
             P-Asserted-Identity: <tel:+15550001111;cpc=ordinary>\r\n",
        );
        assert_eq!(caller_id(&tel), "+15550001111");
    }

    #[test]
    fn privacy_id_withholds_the_caller() {
        for privacy in ["id", "user", "header;id", "ID"] {
            let request = invite(&format!(
                "From: <sip:+15557654321@carrier.example>;tag=1\r\n\
                 P-Asserted-Identity: <sip:+15557654321@carrier.example>\r\n\
                 Privacy: {privacy}\r\n"
            ));
            assert_eq!(caller_id(&request), ANONYMOUS_CALLER, "{privacy}");
        }
        let header_only =
            invite("From: <sip:+15557654321@carrier.example>;tag=1\r\nPrivacy: header\r\n");
        assert_eq!(caller_id(&header_only), "+15557654321");
    }
}
