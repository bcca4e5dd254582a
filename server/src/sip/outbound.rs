//! Calls out through the trunk (`--sip-trunk`): a call to a number that is
//! neither an extension nor a queue is an INVITE to the trunk. Its
//! provisional answers make the far party ring, its 2xx connects, and a
//! 4xx–6xx (or no answer at all: timer B) fails the call with a cause the
//! panel shows. Digest authentication answers one challenge per INVITE.

use bytes::Bytes;
use sipx_sip::{
    HeaderName, Method, Request, Response, TransactionKey,
    auth::{Challenge, Credentials, respond},
};

use super::{
    dialog::{Dialog, Direction, Party, Phase, in_dialog, token, uri_of},
    edge::{DialogKey, Edge, MediaJob},
    sdp::LocalAudio,
    status::cause_of,
    transport::Peer,
};
use app::wire::native::Cause;

use crate::media::rtp::RtpLink;

/// Whom an INVITE of ours is for: a trunk's party or a desk phone.
pub(super) struct Callee {
    pub call_id: String,
    pub dn: String,
    pub party: Party,
    pub peer: Peer,
    /// The Request-URI (a number at the trunk, the phone's Contact).
    pub target: String,
    /// Our From and the party's To.
    pub local: String,
    pub remote: String,
    pub headers: Vec<(HeaderName, String)>,
}

/// What a 2xx to our INVITE brought.
pub(super) enum Answered {
    /// A 2xx resent: ACKed again, nothing new.
    Resent,
    /// The party's audio, and the keys it will press.
    Agreed {
        link: RtpLink,
        digits: tokio::sync::mpsc::UnboundedReceiver<char>,
    },
    /// Its SDP answer cannot be used.
    NoAudio,
}

impl Edge {
    /// Dials `number` for the switch's call `call_id` through the trunk.
    pub(super) fn dial(&mut self, call_id: &str, number: &str, calling: &str) {
        let Some(trunk) = self.trunk.clone() else {
            return;
        };
        let target = format!("sip:{number}@{}", trunk.host);
        let callee = Callee {
            call_id: call_id.to_string(),
            dn: number.to_string(),
            party: Party::Outside,
            peer: Peer::udp(trunk.addr),
            local: format!("<sip:{calling}@{}>;tag={}", self.host, token()),
            remote: format!("<{target}>"),
            target,
            headers: vec![],
        };
        match self.invite_party(callee) {
            Ok(()) => tracing::info!(
                call = call_id,
                "dialling {number} through the trunk {}",
                trunk.host
            ),
            Err(cause) => {
                let _ = self.hub.network_failed(call_id, cause);
            }
        }
    }

    /// Offers audio to `callee` in a new INVITE and keeps its dialog (a
    /// second one for the same call and party replaces the first). `Err`
    /// says why it could not go.
    pub(super) fn invite_party(&mut self, callee: Callee) -> Result<(), Cause> {
        let audio = LocalAudio::bind(self.media_ip).map_err(|err| {
            tracing::warn!(call = %callee.call_id, "no RTP port for {}: {err}", callee.dn);
            Cause::Unavailable
        })?;
        self.sessions += 1;
        let offer = audio.offer(self.sessions);
        let sip_call_id = format!("{}@{}", token(), self.host);
        let invite = self
            .invite(
                callee.peer,
                &callee.target,
                &callee.local,
                &callee.remote,
                &sip_call_id,
                1,
                &offer,
                &callee.headers,
            )
            .ok_or(Cause::InvalidNumber)?;
        let invite_key = self
            .send_request(invite.clone(), callee.peer)
            .ok_or(Cause::Unavailable)?;
        self.insert_dialog(Dialog {
            call_id: callee.call_id,
            dn: callee.dn,
            direction: Direction::Outbound,
            party: callee.party,
            phase: Phase::Early,
            sip_call_id,
            peer: callee.peer,
            local: callee.local,
            remote: callee.remote,
            remote_target: callee.target,
            local_cseq: 1,
            invite,
            invite_key,
            local_sdp: Some(offer),
            agreed: None,
            offered: Some(audio),
            unacknowledged: None,
            authenticated: false,
            alerted: false,
        });
        Ok(())
    }

    /// An INVITE of ours to `peer`, with `sdp` and extra `headers`.
    #[allow(clippy::too_many_arguments)]
    fn invite(
        &self,
        peer: Peer,
        target: &str,
        local: &str,
        remote: &str,
        sip_call_id: &str,
        cseq: u32,
        sdp: &str,
        headers: &[(HeaderName, String)],
    ) -> Option<Request> {
        let mut invite = in_dialog(
            Method::Invite,
            target,
            self.via(peer),
            local,
            remote,
            sip_call_id,
            cseq,
            &self.contact(peer),
        )?;
        let content_type = (HeaderName::ContentType, "application/sdp".to_string());
        let length = (HeaderName::ContentLength, sdp.len().to_string());
        invite.headers.remove_all(&HeaderName::ContentLength);
        for (name, value) in headers.iter().chain([&content_type, &length]) {
            invite
                .headers
                .push(sipx_sip::Header::build(name.clone(), value.clone()).ok()?);
        }
        invite.set_body(Bytes::from(sdp.to_string()));
        Some(invite)
    }

    /// A response in a transaction we started.
    pub(super) fn on_response(&mut self, key: &TransactionKey, response: &Response) {
        let dialog_key = self
            .dialog_of_headers(&response.headers)
            .filter(|k| self.dialogs.contains_key(k));
        let Some(dialog_key) = dialog_key else {
            let invite = response
                .headers
                .typed::<sipx_sip::CSeq>()
                .and_then(Result::ok)
                .is_some_and(|c| c.method == Method::Invite);
            if invite
                && response.status.is_success()
                && let Some(peer) = self.peers.get(key).copied()
            {
                self.refuse_late_answer(response, peer);
            }
            return;
        };
        let Some(dialog) = self.dialogs.get_mut(&dialog_key) else {
            return;
        };
        if &dialog.invite_key != key || dialog.direction != Direction::Outbound {
            return;
        }
        if dialog.party == Party::Phone {
            return self.on_phone_response(&dialog_key, response);
        }
        let code = response.status.code();
        match code {
            100..=199 => {
                if code != 100 && !dialog.alerted {
                    dialog.alerted = true;
                    let _ = self.hub.network_alerting(&dialog_key.0);
                }
            }
            200..=299 => self.connect_outbound(&dialog_key, response),
            401 | 407 if !dialog.authenticated => {
                if !self.authenticate(&dialog_key, response) {
                    self.fail_outbound(&dialog_key, code);
                }
            }
            _ => self.fail_outbound(&dialog_key, code),
        }
    }

    /// The trunk's party answered: ACK, bridge the audio, connect.
    fn connect_outbound(&mut self, key: &DialogKey, response: &Response) {
        match self.confirm(key, response) {
            Answered::Resent => {}
            Answered::Agreed { link, digits } => {
                self.forward_digits(&key.0, digits);
                if let Some(dialog) = self.dialogs.get(key) {
                    self.jobs.push(MediaJob::Attach(dialog.endpoint(), link));
                }
                if let Err(err) = self.hub.network_answer(&key.0) {
                    tracing::info!(call = %key.0, "the trunk answered a call that is gone: {err}");
                    self.hang_up_dialog(key);
                }
            }
            Answered::NoAudio => {
                tracing::info!(call = %key.0, "the trunk's answer has no usable audio: hanging up");
                self.hang_up_dialog(key);
                let _ = self.hub.network_failed(&key.0, Cause::Unavailable);
            }
        }
    }

    /// Our INVITE's 2xx: the dialog takes the party's tag and Contact, is
    /// ACKed, and the party's SDP answer is agreed (a resent 2xx is only
    /// ACKed again).
    pub(super) fn confirm(&mut self, key: &DialogKey, response: &Response) -> Answered {
        let Some(dialog) = self.dialogs.get_mut(key) else {
            return Answered::Resent;
        };
        if dialog.phase == Phase::Confirmed {
            self.acknowledge(key);
            return Answered::Resent;
        }
        dialog.phase = Phase::Confirmed;
        if let Some(to) = response.headers.value(&HeaderName::To) {
            dialog.remote = String::from_utf8_lossy(&to).trim().to_string();
        }
        if let Some(contact) = response.headers.value(&HeaderName::Contact) {
            dialog.remote_target = uri_of(String::from_utf8_lossy(&contact).trim());
        }
        let audio = dialog.offered.take();
        self.acknowledge(key);
        let answer = String::from_utf8_lossy(response.body()).to_string();
        let (pressed, digits) = tokio::sync::mpsc::unbounded_channel();
        match audio.map(|a| a.accept(&answer, pressed)) {
            Some(Ok(link)) => Answered::Agreed { link, digits },
            _ => Answered::NoAudio,
        }
    }

    /// ACKs the dialog's 2xx (again, for a resent one).
    pub(super) fn acknowledge(&mut self, key: &DialogKey) {
        let Some(dialog) = self.dialogs.get(key) else {
            return;
        };
        if dialog.direction != Direction::Outbound {
            return;
        }
        match dialog.ack(self.via(dialog.peer), &self.contact(dialog.peer)) {
            Some(ack) => self
                .transport
                .send(dialog.peer, &sipx_sip::Message::Request(ack)),
            None => tracing::info!(call = %key.0, "cannot build the ACK"),
        }
    }

    /// Answers the trunk's digest challenge once, with the configured
    /// credentials: the INVITE goes again with the next CSeq.
    fn authenticate(&mut self, key: &DialogKey, response: &Response) -> bool {
        let Some(credentials) = self.trunk.as_ref().and_then(|t| t.credentials.clone()) else {
            tracing::warn!(call = %key.0, "the trunk asks for a password; none is configured");
            return false;
        };
        let proxy = response.status.code() == 407;
        let header = if proxy {
            HeaderName::ProxyAuthenticate
        } else {
            HeaderName::WwwAuthenticate
        };
        let Some(challenge) = response
            .headers
            .get_all(&header)
            .find_map(|h| Challenge::parse(&h.value(), proxy))
        else {
            return false;
        };
        let Some(dialog) = self.dialogs.get(key) else {
            return false;
        };
        let credentials = Credentials::new(credentials.0, credentials.1);
        let value = respond(
            &challenge,
            &credentials,
            "INVITE",
            &dialog.remote_target,
            1,
            &token(),
        );
        let cseq = dialog.local_cseq + 1;
        let (target, local, remote, call_id) = (
            dialog.remote_target.clone(),
            dialog.local.clone(),
            dialog.remote.clone(),
            dialog.sip_call_id.clone(),
        );
        let sdp = dialog.local_sdp.clone().unwrap_or_default();
        let peer = dialog.peer;
        let Some(invite) = self.invite(
            peer,
            &target,
            &local,
            &remote,
            &call_id,
            cseq,
            &sdp,
            &[(challenge.response_header(), value)],
        ) else {
            return false;
        };
        let Some(invite_key) = self.send_request(invite.clone(), peer) else {
            return false;
        };
        if let Some(dialog) = self.dialogs.get_mut(key) {
            dialog.local_cseq = cseq;
            dialog.invite = invite;
            dialog.invite_key = invite_key;
            dialog.authenticated = true;
        }
        true
    }

    fn fail_outbound(&mut self, key: &DialogKey, code: u16) {
        tracing::info!(call = %key.0, "the trunk refused the call: {code}");
        self.remove_dialog(key);
        let _ = self.hub.network_failed(&key.0, cause_of(code));
    }

    /// The agent gave up before the answer: CANCEL the INVITE (its 487 is
    /// acknowledged by the transaction).
    pub(super) fn cancel_outbound(&mut self, key: &DialogKey) {
        let Some(dialog) = self.remove_dialog(key) else {
            return;
        };
        let Some(cancel) = cancel_of(&dialog.invite) else {
            tracing::info!(call = %key.0, "cannot build a CANCEL");
            return;
        };
        self.send_request(cancel, dialog.peer);
    }
}

/// The CANCEL of an INVITE (RFC 3261 §9.1): the same Request-URI, top Via,
/// From, To, Call-ID and CSeq number.
fn cancel_of(invite: &Request) -> Option<Request> {
    let value = |name: &HeaderName| {
        invite
            .headers
            .value(name)
            .map(|v| String::from_utf8_lossy(&v).trim().to_string())
    };
    let via = invite.headers.get(&HeaderName::Via)?;
    let cseq = invite
        .headers
        .typed::<sipx_sip::CSeq>()
        .and_then(Result::ok)?
        .sequence;
    let mut cancel = in_dialog(
        Method::Cancel,
        &String::from_utf8_lossy(&invite.uri.to_bytes()),
        String::from_utf8_lossy(&via.value()).to_string(),
        &value(&HeaderName::From)?,
        &value(&HeaderName::To)?,
        &value(&HeaderName::CallId)?,
        cseq,
        "",
    )?;
    cancel.headers.remove_all(&HeaderName::ContentLength);
    cancel
        .headers
        .push(sipx_sip::Header::build(HeaderName::ContentLength, "0").ok()?);
    Some(cancel)
}
