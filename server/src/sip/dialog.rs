//! A SIP dialog as the edge keeps it (RFC 3261 §12): who is on each side,
//! the tags, the sequence numbers, where in-dialog requests go, and the
//! switch call and party it stands for.

use std::time::{Duration, Instant};

use bytes::Bytes;
use sipx_sip::{HeaderName, Method, Request, RequestBuilder, Response, TransactionKey, Uri};

use super::{sdp::LocalAudio, transport::Peer};
use crate::media::{plan::Endpoint, rtp::RtpLink};

/// Which way the call went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// A trunk's caller into a queue or an extension: we are the UAS.
    Inbound,
    /// An agent's call out through the trunk: we are the UAC.
    Outbound,
}

/// Who is at the other end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// A party on the telephone network (through a trunk).
    Outside,
    /// An agent's desk phone.
    Phone,
}

/// Where the dialog is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// No final answer yet (ringing, queued, dialling).
    Early,
    /// Answered: a BYE ends it.
    Confirmed,
}

pub struct Dialog {
    /// The switch's call and this party's number on it.
    pub call_id: String,
    pub dn: String,
    pub direction: Direction,
    pub party: Party,
    pub phase: Phase,
    /// The SIP Call-ID.
    pub sip_call_id: String,
    pub peer: Peer,
    /// Our side's and the party's addresses as From/To values, tags
    /// included once known.
    pub local: String,
    pub remote: String,
    /// Where in-dialog requests are addressed (the party's Contact).
    pub remote_target: String,
    pub local_cseq: u32,
    /// The INVITE of this dialog: answered by us (inbound) or sent by us
    /// (outbound), and its transaction.
    pub invite: Request,
    pub invite_key: TransactionKey,
    /// Our answer's SDP (inbound), also for a re-INVITE.
    pub local_sdp: Option<String>,
    /// The audio agreed and not yet bridged (inbound, until the answer).
    pub agreed: Option<RtpLink>,
    /// Our offer's port (outbound, until the party's answer).
    pub offered: Option<LocalAudio>,
    /// Our 2xx, resent until its ACK comes (RFC 3261 §13.3.1.4, over UDP).
    pub unacknowledged: Option<Resend>,
    /// An outbound call has been challenged once already.
    pub authenticated: bool,
    pub alerted: bool,
}

/// A 2xx waiting for its ACK.
pub struct Resend {
    pub response: Response,
    pub interval: Duration,
    pub give_up_at: Instant,
}

impl Dialog {
    pub fn endpoint(&self) -> Endpoint {
        let (call_id, dn) = (self.call_id.clone(), self.dn.clone());
        match self.party {
            Party::Outside => Endpoint::FarEnd { call_id, dn },
            Party::Phone => Endpoint::Phone { call_id, dn },
        }
    }

    /// A new request in this dialog (BYE), with the next CSeq.
    pub fn request(&mut self, method: Method, via: String, contact: &str) -> Option<Request> {
        self.local_cseq += 1;
        in_dialog(
            method,
            &self.remote_target,
            via,
            &self.local,
            &self.remote,
            &self.sip_call_id,
            self.local_cseq,
            contact,
        )
    }

    /// The ACK of our INVITE's 2xx: its CSeq number, a new branch.
    pub fn ack(&self, via: String, contact: &str) -> Option<Request> {
        let cseq = self
            .invite
            .headers
            .typed::<sipx_sip::CSeq>()
            .and_then(Result::ok)?
            .sequence;
        in_dialog(
            Method::Ack,
            &self.remote_target,
            via,
            &self.local,
            &self.remote,
            &self.sip_call_id,
            cseq,
            contact,
        )
    }
}

/// A request with the headers every request carries (RFC 3261 §8.1.1).
#[allow(clippy::too_many_arguments)]
pub fn in_dialog(
    method: Method,
    target: &str,
    via: String,
    from: &str,
    to: &str,
    call_id: &str,
    cseq: u32,
    contact: &str,
) -> Option<Request> {
    let uri = Uri::parse(Bytes::from(target.to_string())).ok()?;
    let builder = RequestBuilder::new(method.clone(), uri)
        .header(HeaderName::Via, via)
        .ok()?
        .max_forwards(70)
        .header(HeaderName::From, from.to_string())
        .ok()?
        .header(HeaderName::To, to.to_string())
        .ok()?
        .header(HeaderName::CallId, call_id.to_string())
        .ok()?
        .cseq(cseq, &method)
        .ok()?;
    let builder = if matches!(method, Method::Invite) {
        builder
            .header(HeaderName::Contact, contact.to_string())
            .ok()?
    } else {
        builder
    };
    Some(builder.build())
}

/// A fresh tag or branch suffix: 64 random bits.
pub fn token() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// The URI inside an address value (`"Name" <sip:u@h>;tag=x` → `sip:u@h`).
pub fn uri_of(address: &str) -> String {
    match (address.find('<'), address.find('>')) {
        (Some(start), Some(end)) if start < end => address[start + 1..end].to_string(),
        _ => address
            .split(';')
            .next()
            .unwrap_or(address)
            .trim()
            .to_string(),
    }
}

/// An address value with `;tag=` added (if it has none).
pub fn with_tag(address: &str, tag: &str) -> String {
    if address.contains(";tag=") {
        address.to_string()
    } else {
        format!("{address};tag={tag}")
    }
}

/// The `tag` parameter of an address value.
pub fn tag_of(address: &str) -> Option<String> {
    let after = &address[address.rfind('>').unwrap_or(0)..];
    after
        .split(';')
        .find_map(|p| p.trim().strip_prefix("tag="))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_give_their_uri_and_tag() {
        let from = "\"Ann\" <sip:+1555@carrier;user=phone>;tag=ab12";
        assert_eq!(uri_of(from), "sip:+1555@carrier;user=phone");
        assert_eq!(tag_of(from).as_deref(), Some("ab12"));
        assert_eq!(tag_of("<sip:7001@ccp>"), None);
        assert_eq!(with_tag("<sip:7001@ccp>", "x"), "<sip:7001@ccp>;tag=x");
        assert_eq!(with_tag(from, "x"), from);
        assert_eq!(uri_of("sip:a@b;tag=1"), "sip:a@b");
    }

    #[test]
    fn in_dialog_requests_carry_the_mandatory_headers() {
        let request = in_dialog(
            Method::Bye,
            "sip:caller@192.0.2.1:5060",
            "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx".into(),
            "<sip:7001@ccp>;tag=a",
            "<sip:+1555@carrier>;tag=b",
            "call-1",
            2,
            "<sip:ccp@127.0.0.1:5060>",
        )
        .unwrap();
        let text = String::from_utf8(request_bytes(&request)).unwrap();
        assert!(
            text.starts_with("BYE sip:caller@192.0.2.1:5060 SIP/2.0\r\n"),
            "{text}"
        );
        for header in [
            "Via:",
            "Max-Forwards: 70",
            "From:",
            "To:",
            "Call-ID: call-1",
            "CSeq: 2 BYE",
        ] {
            assert!(text.contains(header), "{header} in {text}");
        }
    }

    fn request_bytes(request: &Request) -> Vec<u8> {
        let mut out = vec![];
        request.write_to(&mut out);
        out
    }
}
