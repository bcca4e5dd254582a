//! Trunk calls in: an INVITE to `sip:<queue or extension>@host` becomes a
//! switch call from the caller ID (`caller.rs`: the asserted identity, else
//! the From user; `anonymous` when withheld) to the Request-URI user (DNIS),
//! queued or delivered like a simulator call. 180 while it waits, 200 with
//! our SDP when an agent answers.

use sipx_sip::{HeaderName, Request, TransactionKey};

use super::{
    caller::{caller_id, user_of},
    data::attached_data,
    dialog::{Dialog, Direction, Party, Phase, tag_of, token, uri_of, with_tag},
    edge::{Edge, MediaJob},
    sdp::LocalAudio,
    transport::Peer,
};
use crate::switch::{Reach, SimError};

fn header(request: &Request, name: &HeaderName) -> Option<String> {
    request
        .headers
        .value(name)
        .map(|v| String::from_utf8_lossy(&v).trim().to_string())
}

impl Edge {
    pub(super) fn on_invite(&mut self, key: &TransactionKey, request: Request, peer: Peer) {
        let refuse = |edge: &mut Edge, code: u16, reason: &str| {
            tracing::info!("SIP INVITE from {} refused: {code} {reason}", peer.addr);
            edge.respond(key, &request, code, reason, Some(&token()), &[], None);
        };
        let to = header(&request, &HeaderName::To).unwrap_or_default();
        if tag_of(&to).is_some() {
            return self.on_reinvite(key, &request);
        }
        let sip_call_id = header(&request, &HeaderName::CallId).unwrap_or_default();
        if self.by_sip.contains_key(&sip_call_id) {
            return refuse(self, 482, "Loop Detected");
        }
        let from = header(&request, &HeaderName::From).unwrap_or_default();
        if let Some(extension) =
            Some(user_of(&uri_of(&from))).filter(|u| self.registrar.phone(u).is_some())
        {
            return self.on_phone_invite(key, &request, peer, &extension);
        }
        let number = request
            .uri
            .decoded_user()
            .map(|u| String::from_utf8_lossy(&u).to_string())
            .unwrap_or_default();
        match self.hub.reach(&number) {
            Reach::Free => {}
            Reach::Outside => return refuse(self, 404, "Not Found"),
            Reach::Busy => return refuse(self, 486, "Busy Here"),
            Reach::Unstaffed => return refuse(self, 480, "Temporarily Unavailable"),
        }
        let ani = caller_id(&request);
        let offer = String::from_utf8_lossy(request.body()).to_string();
        if offer.trim().is_empty() {
            return refuse(self, 488, "Not Acceptable Here: an SDP offer is needed");
        }
        let audio = match LocalAudio::bind(self.media_ip) {
            Ok(audio) => audio,
            Err(err) => {
                tracing::warn!("no RTP port for a SIP call: {err}");
                return refuse(self, 503, "Service Unavailable");
            }
        };
        self.sessions += 1;
        let (digits, call_digits) = tokio::sync::mpsc::unbounded_channel();
        let (sdp, link) = match audio.answer(&offer, self.sessions, digits) {
            Ok(agreed) => agreed,
            Err(err) => {
                tracing::info!("SIP INVITE from {}: {err}", peer.addr);
                return refuse(self, 488, "Not Acceptable Here");
            }
        };
        let data = attached_data(&request);
        let call_id = match self.hub.sim_place_call(&ani, &number, data) {
            Ok(call_id) => call_id,
            Err(SimError::Refused(err)) => {
                tracing::info!("SIP INVITE from {}: {}", peer.addr, err.err_message);
                return refuse(self, 403, "Forbidden");
            }
            Err(err) => {
                tracing::info!("SIP INVITE from {}: {err}", peer.addr);
                return refuse(self, 480, "Temporarily Unavailable");
            }
        };
        self.forward_digits(&call_id, call_digits);
        let local_tag = token();
        let remote_target = request
            .headers
            .value(&HeaderName::Contact)
            .map(|c| uri_of(String::from_utf8_lossy(&c).trim()))
            .unwrap_or_else(|| uri_of(&from));
        self.insert_dialog(Dialog {
            call_id,
            dn: ani,
            direction: Direction::Inbound,
            party: Party::Outside,
            phase: Phase::Early,
            sip_call_id,
            peer,
            local: with_tag(&to, &local_tag),
            remote: from,
            remote_target,
            local_cseq: 0,
            invite: request.clone(),
            invite_key: key.clone(),
            local_sdp: Some(sdp),
            agreed: Some(link),
            offered: None,
            unacknowledged: None,
            authenticated: false,
            alerted: true,
        });
        self.respond(key, &request, 180, "Ringing", Some(&local_tag), &[], None);
    }

    /// A re-INVITE in a dialog (a hold from the caller's side, a session
    /// refresh): answered with the same SDP; the media goes on.
    fn on_reinvite(&mut self, key: &TransactionKey, request: &Request) {
        let dialog = self
            .dialog_of(request)
            .and_then(|k| self.dialogs.get(&k))
            .and_then(|d| Some((d.local_sdp.clone()?, d.peer)));
        match dialog {
            Some((sdp, peer)) => {
                let contact = self.contact(peer);
                self.respond(
                    key,
                    request,
                    200,
                    "OK",
                    None,
                    &[(HeaderName::Contact, contact)],
                    Some(&sdp),
                );
            }
            None => self.no_dialog(key, request),
        }
    }

    /// An agent answered a trunk caller's call: 200 OK with our SDP, and
    /// the audio is bridged.
    pub(super) fn answer_inbound(&mut self, call_id: &str) {
        let keys: Vec<_> = self
            .dialogs
            .iter()
            .filter(|(_, d)| {
                d.call_id == call_id && d.direction == Direction::Inbound && d.phase == Phase::Early
            })
            .map(|(k, _)| k.clone())
            .collect();
        for key in keys {
            let Some(dialog) = self.dialogs.get_mut(&key) else {
                continue;
            };
            dialog.phase = Phase::Confirmed;
            let link = dialog.agreed.take();
            let (invite_key, invite, tag, sdp, peer) = (
                dialog.invite_key.clone(),
                dialog.invite.clone(),
                tag_of(&dialog.local),
                dialog.local_sdp.clone(),
                dialog.peer,
            );
            let endpoint = dialog.endpoint();
            let contact = self.contact(peer);
            let ok = self.respond(
                &invite_key,
                &invite,
                200,
                "OK",
                tag.as_deref(),
                &[(HeaderName::Contact, contact)],
                sdp.as_deref(),
            );
            if let Some(link) = link {
                self.jobs.push(MediaJob::Attach(endpoint, link));
            }
            if let Some(ok) = ok {
                self.await_ack(&key, ok);
            }
        }
    }

    /// Digits a SIP party presses become the call's digits.
    pub(super) fn forward_digits(
        &self,
        call_id: &str,
        mut digits: tokio::sync::mpsc::UnboundedReceiver<char>,
    ) {
        let hub = self.hub.clone();
        let call_id = call_id.to_string();
        tokio::spawn(async move {
            while let Some(digit) = digits.recv().await {
                if let Err(err) = hub.network_digits(&call_id, &digit.to_string()) {
                    tracing::debug!("digit {digit} on call {call_id}: {err}");
                }
            }
        });
    }
}
