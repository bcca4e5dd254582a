//! SIP desk phones as extensions, under third-party call control: the
//! switch owns the calls and the panel drives them; the phone is one more
//! party, reached by an INVITE of ours. A call that rings the extension
//! rings the phone; the phone's answer (or the panel's Answer, through an
//! auto-answer header) answers it; hold, transfer and conference happen in
//! the switch's media routes while the phone's dialog stays up; either side
//! hanging up ends the phone's part.

use sipx_sip::{HeaderName, Request, Response, TransactionKey};

use super::{
    dialog::{Dialog, Direction, Party, Phase, in_dialog, tag_of, token, uri_of},
    edge::{DialogKey, Edge, MediaJob},
    outbound::{Answered, Callee},
    registrar::{Auth, Register, Verdict},
    sdp::LocalAudio,
};

/// The headers that ask a phone to answer at once: RFC 5373's
/// `answer-after` in Call-Info (Polycom, Yealink, Grandstream, Snom,
/// Linphone honour it) and the Alert-Info form others use.
const AUTO_ANSWER: [(HeaderName, &str); 2] = [
    (HeaderName::CallInfo, "answer-after=0"),
    (HeaderName::AlertInfo, "info=alert-autoanswer"),
];

impl Edge {
    pub(super) fn on_register(&mut self, key: &TransactionKey, request: &Request) {
        let value = |name: &HeaderName| {
            request
                .headers
                .value(name)
                .map(|v| String::from_utf8_lossy(&v).trim().to_string())
        };
        let to = value(&HeaderName::To).unwrap_or_default();
        let extension = sipx_sip::Uri::parse(bytes::Bytes::from(uri_of(&to)))
            .ok()
            .and_then(|u| u.decoded_user())
            .map(|u| String::from_utf8_lossy(&u).to_string())
            .unwrap_or_default();
        let contact = value(&HeaderName::Contact);
        let expires = contact
            .as_deref()
            .and_then(|c| {
                c.split(';')
                    .find_map(|p| p.trim().strip_prefix("expires=").map(str::to_string))
            })
            .or_else(|| value(&HeaderName::Expires))
            .and_then(|e| e.trim().parse().ok());
        let authorization = value(&HeaderName::Authorization);
        let Some(peer) = self.peers.get(key).copied() else {
            return;
        };
        let verdict = self.registrar.register(Register {
            extension: &extension,
            authorization: authorization.as_deref(),
            contact: contact.as_deref().filter(|c| c.trim() != "*").map(uri_of),
            expires,
            peer,
        });
        match verdict {
            Verdict::Unknown => {
                tracing::info!("REGISTER for {extension:?}, which is no desk phone: 404");
                self.respond(key, request, 404, "Not Found", None, &[], None);
            }
            Verdict::Challenge(challenge) => {
                self.respond(
                    key,
                    request,
                    401,
                    "Unauthorized",
                    Some(&token()),
                    &[(HeaderName::WwwAuthenticate, challenge)],
                    None,
                );
            }
            Verdict::Refused => {
                tracing::warn!(
                    "desk phone {extension}: wrong credentials from {}",
                    peer.addr
                );
                self.respond(key, request, 403, "Forbidden", Some(&token()), &[], None);
            }
            Verdict::Registered(seconds) => {
                tracing::info!(
                    "desk phone {extension} {} at {}",
                    if seconds > 0 {
                        "registered"
                    } else {
                        "unregistered"
                    },
                    peer.addr
                );
                let mut headers = vec![(HeaderName::Expires, seconds.to_string())];
                if let Some(contact) = contact.filter(|_| seconds > 0) {
                    headers.push((
                        HeaderName::Contact,
                        format!("<{}>;expires={seconds}", uri_of(&contact)),
                    ));
                }
                self.respond(key, request, 200, "OK", Some(&token()), &headers, None);
            }
        }
    }

    /// A desk phone dials (its agent's call out, as Make call in the
    /// panel): the INVITE must carry the phone's credentials, and the phone
    /// is answered at once while the switch places the call.
    pub(super) fn on_phone_invite(
        &mut self,
        key: &TransactionKey,
        request: &Request,
        peer: super::transport::Peer,
        extension: &str,
    ) {
        let tag = token();
        let refuse =
            |edge: &mut Edge, code: u16, reason: &str, headers: &[(HeaderName, String)]| {
                tracing::info!("desk phone {extension} dialling: {code} {reason}");
                edge.respond(key, request, code, reason, Some(&tag), headers, None);
            };
        let authorization = request
            .headers
            .value(&HeaderName::Authorization)
            .map(|v| String::from_utf8_lossy(&v).trim().to_string());
        match self
            .registrar
            .authenticate(extension, "INVITE", authorization.as_deref())
        {
            Auth::Passed => {}
            Auth::Challenge(challenge) => {
                return refuse(
                    self,
                    401,
                    "Unauthorized",
                    &[(HeaderName::WwwAuthenticate, challenge)],
                );
            }
            Auth::Refused | Auth::Unknown => return refuse(self, 403, "Forbidden", &[]),
        }
        let number = request
            .uri
            .decoded_user()
            .map(|u| String::from_utf8_lossy(&u).to_string())
            .unwrap_or_default();
        let audio = match LocalAudio::bind(self.media_ip) {
            Ok(audio) => audio,
            Err(err) => {
                tracing::warn!("no RTP port for desk phone {extension}: {err}");
                return refuse(self, 503, "Service Unavailable", &[]);
            }
        };
        self.sessions += 1;
        let (digits, pressed) = tokio::sync::mpsc::unbounded_channel();
        let offer = String::from_utf8_lossy(request.body()).to_string();
        let (sdp, link) = match audio.answer(&offer, self.sessions, digits) {
            Ok(agreed) => agreed,
            Err(err) => {
                tracing::info!("desk phone {extension} dialling: {err}");
                return refuse(self, 488, "Not Acceptable Here", &[]);
            }
        };
        let call_id = match self.hub.phone_dial(extension, &number) {
            Ok(call_id) => call_id,
            Err(err) => {
                let (code, reason) = match &err {
                    crate::switch::SimError::Refused(e)
                        if e.err_code == app::opencti::ErrorCode::InvalidDestination =>
                    {
                        (404, "Not Found")
                    }
                    crate::switch::SimError::Refused(e)
                        if e.err_code == app::opencti::ErrorCode::AgentNotLoggedIn =>
                    {
                        (480, "Temporarily Unavailable")
                    }
                    _ => (403, "Forbidden"),
                };
                tracing::info!("desk phone {extension} dialling {number:?}: {err}");
                return refuse(self, code, reason, &[]);
            }
        };
        let value = |name: &HeaderName| {
            request
                .headers
                .value(name)
                .map(|v| String::from_utf8_lossy(&v).trim().to_string())
                .unwrap_or_default()
        };
        let to = value(&HeaderName::To);
        let from = value(&HeaderName::From);
        let dialog_key = (call_id.clone(), extension.to_string());
        self.insert_dialog(Dialog {
            call_id,
            dn: extension.to_string(),
            direction: Direction::Inbound,
            party: Party::Phone,
            phase: Phase::Confirmed,
            sip_call_id: value(&HeaderName::CallId),
            peer,
            local: super::dialog::with_tag(&to, &tag),
            remote: from.clone(),
            remote_target: request
                .headers
                .value(&HeaderName::Contact)
                .map(|c| uri_of(String::from_utf8_lossy(&c).trim()))
                .unwrap_or_else(|| uri_of(&from)),
            local_cseq: 0,
            invite: request.clone(),
            invite_key: key.clone(),
            local_sdp: Some(sdp.clone()),
            agreed: None,
            offered: None,
            unacknowledged: None,
            authenticated: true,
            alerted: true,
        });
        self.forward_phone_digits(&dialog_key, pressed);
        if let Some(dialog) = self.dialogs.get(&dialog_key) {
            self.jobs.push(MediaJob::Attach(dialog.endpoint(), link));
        }
        let contact = self.contact(peer);
        if let Some(ok) = self.respond(
            key,
            request,
            200,
            "OK",
            Some(&tag),
            &[(HeaderName::Contact, contact)],
            Some(&sdp),
        ) {
            self.await_ack(&dialog_key, ok);
        }
    }

    /// Rings the desk phone on `extension` for `call_id` (for a call the
    /// agent places, the phone goes off-hook first: at once if it answers
    /// on request).
    pub(super) fn ring(&mut self, call_id: &str, extension: &str, caller: &str, originate: bool) {
        if self
            .dialogs
            .contains_key(&(call_id.to_string(), extension.to_string()))
        {
            // The phone dialled this call itself: it is off-hook already.
            return;
        }
        let auto_answer = originate
            && self
                .registrar
                .phone(extension)
                .is_some_and(|p| p.auto_answer);
        self.invite_phone(call_id, extension, caller, auto_answer);
    }

    fn invite_phone(&mut self, call_id: &str, extension: &str, caller: &str, auto_answer: bool) {
        let Some(binding) = self.registrar.binding(extension).cloned() else {
            tracing::warn!(
                call = call_id,
                "desk phone {extension} is not registered: it cannot ring"
            );
            return;
        };
        let headers = if auto_answer {
            AUTO_ANSWER
                .iter()
                .map(|(name, param)| {
                    let value = match name {
                        HeaderName::CallInfo => format!("<sip:{}>;{param}", self.host),
                        _ => format!("<http://127.0.0.1/>;{param}"),
                    };
                    (name.clone(), value)
                })
                .collect()
        } else {
            vec![]
        };
        let callee = Callee {
            call_id: call_id.to_string(),
            dn: extension.to_string(),
            party: Party::Phone,
            peer: binding.peer,
            target: binding.contact,
            local: format!("<sip:{caller}@{}>;tag={}", self.host, token()),
            remote: format!("<sip:{extension}@{}>", self.host),
            headers,
        };
        if let Err(cause) = self.invite_party(callee) {
            tracing::warn!(
                call = call_id,
                "desk phone {extension} cannot ring: {cause:?}"
            );
        }
    }

    /// The agent pressed Answer: the ringing INVITE is cancelled and the
    /// phone asked again, to answer at once.
    pub(super) fn answer_phone(&mut self, call_id: &str, extension: &str) {
        let key = (call_id.to_string(), extension.to_string());
        let Some(dialog) = self.dialogs.get(&key) else {
            tracing::info!(
                call = call_id,
                "Answer for desk phone {extension}, which was not rung"
            );
            return;
        };
        if dialog.phase != Phase::Early {
            return;
        }
        let caller = uri_of(&dialog.local);
        let caller = caller
            .strip_prefix("sip:")
            .and_then(|c| c.split('@').next())
            .unwrap_or_default()
            .to_string();
        self.cancel_outbound(&key);
        self.invite_phone(call_id, extension, &caller, true);
    }

    /// The phone's answer to our INVITE.
    pub(super) fn on_phone_response(&mut self, key: &DialogKey, response: &Response) {
        let code = response.status.code();
        if code < 200 {
            return;
        }
        if code >= 300 {
            tracing::info!(call = %key.0, "desk phone {} declined: {code}", key.1);
            self.remove_dialog(key);
            let _ = self.hub.phone_hung_up(&key.0, &key.1);
            return;
        }
        match self.confirm(key, response) {
            Answered::Resent => return,
            Answered::Agreed { link, digits } => {
                self.forward_phone_digits(key, digits);
                if let Some(dialog) = self.dialogs.get(key) {
                    self.jobs.push(MediaJob::Attach(dialog.endpoint(), link));
                }
            }
            Answered::NoAudio => {
                tracing::info!(call = %key.0, "desk phone {}: no usable audio", key.1);
            }
        }
        if let Err(err) = self.hub.phone_answered(&key.0, &key.1) {
            tracing::info!(call = %key.0, "desk phone {} answered a call that is gone: {err}", key.1);
            self.hang_up_dialog(key);
        }
    }

    /// Keys pressed on the phone are the agent's DTMF on the call.
    fn forward_phone_digits(
        &self,
        key: &DialogKey,
        mut pressed: tokio::sync::mpsc::UnboundedReceiver<char>,
    ) {
        let hub = self.hub.clone();
        let (call_id, extension) = key.clone();
        tokio::spawn(async move {
            while let Some(digit) = pressed.recv().await {
                if let Err(err) = hub.phone_digits(&call_id, &extension, &digit.to_string()) {
                    tracing::debug!("desk phone digit {digit} on {call_id}: {err}");
                }
            }
        });
    }

    /// A 2xx for a dialog we gave up (the phone answered as our CANCEL
    /// crossed it): it is ACKed and hung up at once (RFC 3261 §15).
    pub(super) fn refuse_late_answer(&mut self, response: &Response, peer: super::transport::Peer) {
        let value = |name: &HeaderName| {
            response
                .headers
                .value(name)
                .map(|v| String::from_utf8_lossy(&v).trim().to_string())
        };
        let (Some(from), Some(to), Some(call_id), Some(cseq)) = (
            value(&HeaderName::From),
            value(&HeaderName::To),
            value(&HeaderName::CallId),
            response
                .headers
                .typed::<sipx_sip::CSeq>()
                .and_then(Result::ok),
        ) else {
            return;
        };
        if tag_of(&to).is_none() {
            return;
        }
        let target = value(&HeaderName::Contact)
            .map(|c| uri_of(&c))
            .unwrap_or_else(|| uri_of(&to));
        let contact = self.contact(peer);
        for (method, number) in [
            (sipx_sip::Method::Ack, cseq.sequence),
            (sipx_sip::Method::Bye, cseq.sequence + 1),
        ] {
            let via = self.via(peer);
            if let Some(request) = in_dialog(
                method.clone(),
                &target,
                via,
                &from,
                &to,
                &call_id,
                number,
                &contact,
            ) {
                if method == sipx_sip::Method::Ack {
                    self.transport
                        .send(peer, &sipx_sip::Message::Request(request));
                } else {
                    self.send_request(request, peer);
                }
            }
        }
    }
}
