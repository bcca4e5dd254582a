//! The edge's one task: it owns the transaction layer (sipx-sip's RFC 3261
//! machines), the dialogs and their timers, and is driven by four things
//! only: a message from the transports, a signal from the switch, a fired
//! timer, and nothing else. Media work it decides is handed to the media
//! engine after each step.

use std::{
    collections::{BTreeMap, HashMap},
    net::IpAddr,
    time::{Duration, Instant},
};

use bytes::Bytes;
use sipx_sip::{
    HeaderName, Message, Method, Output, Request, Response, ResponseBuilder, StatusCode, Timer,
    Timers, TransactionKey, TransactionLayer, TuEvent, transaction::Dispatch,
};
use tokio::sync::mpsc;

use super::{
    SipConfig, Trunk,
    dialog::{Dialog, Direction, Party, Phase, Resend, tag_of},
    transport::{Inbound, Peer, Transport},
};
use crate::{
    media::{Media, plan::Endpoint, rtp::RtpLink},
    relay::Hub,
    switch::NetworkSignal,
};

/// The methods this edge serves, for `Allow`.
pub const ALLOW: &str = "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER";

/// What a dialog's key is: the switch call and the party's number on it.
pub type DialogKey = (String, String);

/// A timer of a transaction, or a dialog's 2xx resend.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Wake {
    Transaction(TransactionKey, Timer),
    Resend(DialogKey),
}

/// Media work decided during a step, done after it (it awaits the engine).
pub enum MediaJob {
    Attach(Endpoint, RtpLink),
    Detach(Endpoint),
    Digits(Endpoint, String),
}

pub struct Edge {
    pub hub: Hub,
    media: Media,
    pub transport: Transport,
    pub layer: TransactionLayer,
    pub timers_config: Timers,
    /// Our `host:port` in Via, Contact and From.
    pub host: String,
    pub media_ip: IpAddr,
    pub trunk: Option<Trunk>,
    pub dialogs: HashMap<DialogKey, Dialog>,
    /// SIP Call-ID → dialog.
    pub by_sip: HashMap<String, DialogKey>,
    /// Where each transaction's messages go.
    pub peers: HashMap<TransactionKey, Peer>,
    timers: BTreeMap<(Instant, u64), Wake>,
    next_timer: u64,
    pub jobs: Vec<MediaJob>,
    /// SDP session numbers.
    pub sessions: u64,
    pub registrar: super::registrar::Registrar,
}

impl Edge {
    pub fn new(config: &SipConfig, hub: Hub, media: Media, transport: Transport) -> Self {
        let local = transport.local_addr();
        let host_ip = if local.ip().is_unspecified() {
            config.media_ip
        } else {
            local.ip()
        };
        let timers = Timers {
            t1: config.t1,
            ..Timers::default()
        };
        Self {
            hub,
            media,
            transport,
            layer: TransactionLayer::new(timers),
            timers_config: timers,
            host: std::net::SocketAddr::new(host_ip, local.port()).to_string(),
            media_ip: config.media_ip,
            trunk: config.trunk.clone(),
            dialogs: HashMap::new(),
            by_sip: HashMap::new(),
            peers: HashMap::new(),
            timers: BTreeMap::new(),
            next_timer: 0,
            jobs: vec![],
            sessions: 0,
            registrar: super::registrar::Registrar::new(config.phones.clone()),
        }
    }

    pub async fn run(
        mut self,
        mut inbound: mpsc::Receiver<Inbound>,
        mut signals: mpsc::UnboundedReceiver<NetworkSignal>,
    ) {
        loop {
            let wake = self
                .timers
                .keys()
                .next()
                .map_or_else(|| Instant::now() + Duration::from_secs(3600), |(at, _)| *at);
            tokio::select! {
                message = inbound.recv() => match message {
                    Some(message) => self.on_inbound(message),
                    None => break,
                },
                signal = signals.recv() => match signal {
                    Some(signal) => self.on_signal(signal),
                    None => break,
                },
                () = tokio::time::sleep_until(wake.into()) => self.on_timers(),
            }
            for job in std::mem::take(&mut self.jobs) {
                match job {
                    MediaJob::Attach(endpoint, link) => self.media.attach_rtp(endpoint, link).await,
                    MediaJob::Detach(endpoint) => self.media.detach_rtp(endpoint).await,
                    MediaJob::Digits(endpoint, digits) => {
                        self.media.send_digits(endpoint, digits).await;
                    }
                }
            }
        }
    }

    fn on_inbound(&mut self, Inbound { message, peer }: Inbound) {
        if tracing::enabled!(tracing::Level::TRACE) {
            tracing::trace!(
                "SIP from {}:\n{}",
                peer.addr,
                String::from_utf8_lossy(&message.to_bytes())
            );
        }
        if let Message::Request(request) = &message
            && let Err(why) = well_formed(request)
        {
            tracing::info!(
                "SIP {} from {} refused: {why}",
                method_name(&request.method),
                peer.addr
            );
            if request.method != Method::Ack {
                self.reply_without_transaction(peer, request, 400, why);
            }
            return;
        }
        match self.layer.receive(message, peer.reliability()) {
            Dispatch::Created { key, outputs } => {
                self.peers.insert(key.clone(), peer);
                self.run_outputs(&key, outputs);
            }
            Dispatch::Matched { key, outputs } => self.run_outputs(&key, outputs),
            Dispatch::Unmatched(message) => match *message {
                Message::Request(request) if request.method == Method::Ack => self.on_ack(&request),
                Message::Request(request) => tracing::debug!(
                    "SIP {} matched no transaction",
                    method_name(&request.method)
                ),
                Message::Response(response) => self.on_stray_response(&response),
            },
        }
    }

    /// Does what a transaction asked: send, time, hand up.
    pub fn run_outputs(&mut self, key: &TransactionKey, outputs: Vec<Output>) {
        let peer = self.peers.get(key).copied();
        let mut events = vec![];
        for output in outputs {
            match output {
                Output::Send(message) => match peer {
                    Some(peer) => self.transport.send(peer, &message),
                    None => tracing::debug!("SIP message for a transaction with no peer"),
                },
                Output::SetTimer { timer, after } => {
                    self.clear_timer(key, timer);
                    self.next_timer += 1;
                    self.timers.insert(
                        (Instant::now() + after, self.next_timer),
                        Wake::Transaction(key.clone(), timer),
                    );
                }
                Output::ClearTimer(timer) => self.clear_timer(key, timer),
                Output::ToTu(event) => events.push(*event),
                Output::Terminated(_) => {
                    self.peers.remove(key);
                    self.timers
                        .retain(|_, w| !matches!(w, Wake::Transaction(k, _) if k == key));
                }
                _ => {}
            }
        }
        for event in events {
            match event {
                TuEvent::Request(request) => self.on_request(key, *request, peer),
                TuEvent::Response(response) => self.on_response(key, &response),
                TuEvent::Ack(ack) => self.on_ack(&ack),
                TuEvent::Timeout | TuEvent::TransportError => self.on_transaction_failed(key),
                _ => {}
            }
        }
    }

    fn clear_timer(&mut self, key: &TransactionKey, timer: Timer) {
        self.timers
            .retain(|_, w| !matches!(w, Wake::Transaction(k, t) if k == key && *t == timer));
    }

    fn on_timers(&mut self) {
        let now = Instant::now();
        while let Some(entry) = self.timers.first_entry() {
            if entry.key().0 > now {
                break;
            }
            match entry.remove() {
                Wake::Transaction(key, timer) => {
                    let outputs = self.layer.on_timer(&key, timer);
                    self.run_outputs(&key, outputs);
                }
                Wake::Resend(dialog) => self.resend_2xx(&dialog),
            }
        }
    }

    /// Starts resending a dialog's 2xx until its ACK (over UDP only: a
    /// reliable transport delivers it once).
    pub fn await_ack(&mut self, key: &DialogKey, response: Response) {
        let t1 = self.timers_config.t1;
        let Some(dialog) = self.dialogs.get_mut(key) else {
            return;
        };
        if dialog.peer.connection.is_some() {
            return;
        }
        dialog.unacknowledged = Some(Resend {
            response,
            interval: t1,
            give_up_at: Instant::now() + 64 * t1,
        });
        self.schedule_resend(key.clone(), t1);
    }

    fn schedule_resend(&mut self, key: DialogKey, after: Duration) {
        self.next_timer += 1;
        self.timers
            .insert((Instant::now() + after, self.next_timer), Wake::Resend(key));
    }

    fn resend_2xx(&mut self, key: &DialogKey) {
        let t2 = self.timers_config.t2;
        let Some(dialog) = self.dialogs.get_mut(key) else {
            return;
        };
        let Some(resend) = &mut dialog.unacknowledged else {
            return;
        };
        if Instant::now() >= resend.give_up_at {
            tracing::info!(call = %dialog.call_id, "no ACK for our 200 OK: hanging up");
            dialog.unacknowledged = None;
            self.hang_up_dialog(key);
            let _ = self.hub.network_hang_up(&key.0, &key.1);
            return;
        }
        self.transport
            .send(dialog.peer, &Message::Response(resend.response.clone()));
        resend.interval = (resend.interval * 2).min(t2);
        let interval = resend.interval;
        self.schedule_resend(key.clone(), interval);
    }

    fn on_ack(&mut self, ack: &Request) {
        if let Some(key) = self.dialog_of(ack)
            && let Some(dialog) = self.dialogs.get_mut(&key)
        {
            dialog.unacknowledged = None;
        }
    }

    /// The dialog a message belongs to, by its Call-ID.
    pub fn dialog_of_headers(&self, headers: &sipx_sip::Headers) -> Option<DialogKey> {
        let call_id = headers.value(&HeaderName::CallId)?;
        self.by_sip
            .get(String::from_utf8_lossy(&call_id).trim())
            .cloned()
    }

    pub fn dialog_of(&self, request: &Request) -> Option<DialogKey> {
        self.dialog_of_headers(&request.headers)
    }

    /// Keeps a new dialog.
    pub fn insert_dialog(&mut self, dialog: Dialog) {
        let key = (dialog.call_id.clone(), dialog.dn.clone());
        self.by_sip.insert(dialog.sip_call_id.clone(), key.clone());
        self.dialogs.insert(key, dialog);
    }

    /// Forgets a dialog and closes its audio.
    pub fn remove_dialog(&mut self, key: &DialogKey) -> Option<Dialog> {
        let dialog = self.dialogs.remove(key)?;
        self.by_sip.remove(&dialog.sip_call_id);
        self.jobs.push(MediaJob::Detach(dialog.endpoint()));
        Some(dialog)
    }

    /// Answers a request in its transaction.
    #[allow(clippy::too_many_arguments)]
    pub fn respond(
        &mut self,
        key: &TransactionKey,
        request: &Request,
        code: u16,
        reason: &str,
        to_tag: Option<&str>,
        headers: &[(HeaderName, String)],
        sdp: Option<&str>,
    ) -> Option<Response> {
        let response = match build_response(request, code, reason, to_tag, headers, sdp) {
            Ok(response) => response,
            Err(why) => {
                tracing::info!(
                    "cannot answer a SIP {}: {why}",
                    method_name(&request.method)
                );
                return None;
            }
        };
        let outputs = self.layer.send_response(key, response.clone());
        self.run_outputs(key, outputs);
        Some(response)
    }

    /// A 481: the request names a dialog or transaction we do not have.
    pub fn no_dialog(&mut self, key: &TransactionKey, request: &Request) {
        self.respond(
            key,
            request,
            481,
            "Call/Transaction Does Not Exist",
            None,
            &[],
            None,
        );
    }

    /// A 400 to a request too broken for a transaction (if it can be
    /// answered at all).
    /// The headers it has are copied; the ones it lacks cannot be.
    fn reply_without_transaction(&self, peer: Peer, request: &Request, code: u16, why: &str) {
        let Some(status) = StatusCode::new(code) else {
            return;
        };
        let mut response = Response::new(status, Bytes::from(why.to_string()));
        for name in [
            HeaderName::Via,
            HeaderName::From,
            HeaderName::To,
            HeaderName::CallId,
            HeaderName::CSeq,
        ] {
            for header in request.headers.get_all(&name) {
                response.headers.push(header.clone());
            }
        }
        if let Ok(length) = sipx_sip::Header::build(HeaderName::ContentLength, "0") {
            response.headers.push(length);
        }
        self.transport.send(peer, &Message::Response(response));
    }

    /// A Via for a request we send to `peer`.
    pub fn via(&self, peer: Peer) -> String {
        format!(
            "SIP/2.0/{} {};branch=z9hG4bK{};rport",
            peer.transport(),
            self.host,
            super::dialog::token()
        )
    }

    /// Our Contact for `peer`'s transport.
    pub fn contact(&self, peer: Peer) -> String {
        format!(
            "<sip:ccp@{};transport={}>",
            self.host,
            peer.transport().to_ascii_lowercase()
        )
    }

    /// Sends a request in a new client transaction to `peer`.
    pub fn send_request(&mut self, request: Request, peer: Peer) -> Option<TransactionKey> {
        let (key, outputs) = self.layer.send_request(request, peer.reliability())?;
        self.peers.insert(key.clone(), peer);
        self.run_outputs(&key, outputs);
        Some(key)
    }

    /// Ends an answered dialog from our side: BYE (and its audio closes).
    pub fn hang_up_dialog(&mut self, key: &DialogKey) {
        let Some(mut dialog) = self.remove_dialog(key) else {
            return;
        };
        let via = self.via(dialog.peer);
        let contact = self.contact(dialog.peer);
        match dialog.request(Method::Bye, via, &contact) {
            Some(bye) => {
                self.send_request(bye, dialog.peer);
            }
            None => tracing::info!(call = %dialog.call_id, "cannot build a BYE for the dialog"),
        }
    }

    fn on_signal(&mut self, signal: NetworkSignal) {
        match signal {
            NetworkSignal::Dial {
                call_id,
                number,
                calling,
            } => self.dial(&call_id, &number, &calling),
            NetworkSignal::Answered { call_id } => self.answer_inbound(&call_id),
            NetworkSignal::Released { call_id, dn, cause } => {
                self.release(&(call_id, dn), cause);
            }
            NetworkSignal::Ring {
                call_id,
                extension,
                caller,
                originate,
            } => self.ring(&call_id, &extension, &caller, originate),
            NetworkSignal::AnswerPhone { call_id, extension } => {
                self.answer_phone(&call_id, &extension);
            }
            NetworkSignal::Digits { call_id, digits } => {
                let endpoints: Vec<Endpoint> = self
                    .dialogs
                    .values()
                    .filter(|d| {
                        d.call_id == call_id
                            && d.phase == Phase::Confirmed
                            && d.party == Party::Outside
                    })
                    .map(Dialog::endpoint)
                    .collect();
                for endpoint in endpoints {
                    self.jobs.push(MediaJob::Digits(endpoint, digits.clone()));
                }
            }
        }
    }

    /// The switch let the party go: the SIP side hears it the way its
    /// dialog is (a final answer, a CANCEL or a BYE).
    fn release(&mut self, key: &DialogKey, cause: app::wire::native::Cause) {
        let Some(dialog) = self.dialogs.get(key) else {
            return;
        };
        match (dialog.direction, dialog.phase) {
            (_, Phase::Confirmed) => self.hang_up_dialog(key),
            (Direction::Inbound, Phase::Early) => {
                if let Some(dialog) = self.remove_dialog(key) {
                    let (code, reason) = super::status::status_of(cause);
                    let tag = tag_of(&dialog.local);
                    self.respond(
                        &dialog.invite_key,
                        &dialog.invite,
                        code,
                        reason,
                        tag.as_deref(),
                        &[],
                        None,
                    );
                }
            }
            (Direction::Outbound, Phase::Early) => self.cancel_outbound(key),
        }
    }

    fn on_request(&mut self, key: &TransactionKey, request: Request, peer: Option<Peer>) {
        let Some(peer) = peer else {
            return;
        };
        match request.method {
            Method::Invite => self.on_invite(key, request, peer),
            Method::Bye => self.on_bye(key, &request),
            Method::Cancel => self.on_cancel(key, &request),
            Method::Register => self.on_register(key, &request),
            Method::Options => {
                self.respond(
                    key,
                    &request,
                    200,
                    "OK",
                    None,
                    &[
                        (HeaderName::Allow, ALLOW.into()),
                        (HeaderName::Accept, "application/sdp".into()),
                    ],
                    None,
                );
            }
            Method::Other(_) => {
                tracing::info!("SIP {} not implemented: 501", method_name(&request.method));
                self.respond(
                    key,
                    &request,
                    501,
                    "Not Implemented",
                    None,
                    &[(HeaderName::Allow, ALLOW.into())],
                    None,
                );
            }
            _ => {
                tracing::info!("SIP {} not allowed here: 405", method_name(&request.method));
                self.respond(
                    key,
                    &request,
                    405,
                    "Method Not Allowed",
                    None,
                    &[(HeaderName::Allow, ALLOW.into())],
                    None,
                );
            }
        }
    }

    fn on_bye(&mut self, key: &TransactionKey, request: &Request) {
        let Some(dialog) = self.dialog_of(request) else {
            self.no_dialog(key, request);
            return;
        };
        self.respond(key, request, 200, "OK", None, &[], None);
        let Some(removed) = self.remove_dialog(&dialog) else {
            return;
        };
        let result = match removed.party {
            Party::Outside => self.hub.network_hang_up(&dialog.0, &dialog.1),
            Party::Phone => self.hub.phone_hung_up(&dialog.0, &dialog.1),
        };
        if let Err(err) = result {
            tracing::debug!("BYE for call {}: {err}", dialog.0);
        }
    }

    fn on_cancel(&mut self, key: &TransactionKey, request: &Request) {
        let early = self.dialog_of(request).filter(|k| {
            self.dialogs
                .get(k)
                .is_some_and(|d| d.phase == Phase::Early && d.direction == Direction::Inbound)
        });
        let Some(dialog_key) = early else {
            self.no_dialog(key, request);
            return;
        };
        self.respond(key, request, 200, "OK", None, &[], None);
        if let Some(dialog) = self.remove_dialog(&dialog_key) {
            let tag = tag_of(&dialog.local);
            self.respond(
                &dialog.invite_key,
                &dialog.invite,
                487,
                "Request Terminated",
                tag.as_deref(),
                &[],
                None,
            );
        }
        if let Err(err) = self.hub.network_hang_up(&dialog_key.0, &dialog_key.1) {
            tracing::debug!("CANCEL for call {}: {err}", dialog_key.0);
        }
    }

    fn on_transaction_failed(&mut self, key: &TransactionKey) {
        let failed = self
            .dialogs
            .iter()
            .find(|(_, d)| &d.invite_key == key && d.phase == Phase::Early)
            .map(|(k, d)| (k.clone(), d.direction));
        if let Some((dialog, Direction::Outbound)) = failed {
            tracing::info!(call = %dialog.0, "the trunk did not answer the INVITE (timer B)");
            self.remove_dialog(&dialog);
            let _ = self
                .hub
                .network_failed(&dialog.0, app::wire::native::Cause::Unavailable);
        }
    }

    /// A response no transaction took: a 2xx resent after ours ended. Its
    /// ACK is sent again.
    fn on_stray_response(&mut self, response: &Response) {
        if response.status.is_success()
            && let Some(key) = self.dialog_of_headers(&response.headers)
        {
            self.acknowledge(&key);
        }
    }
}

/// The headers without which a request cannot be answered or matched.
fn well_formed(request: &Request) -> Result<(), &'static str> {
    for (name, why) in [
        (HeaderName::Via, "Missing Via"),
        (HeaderName::From, "Missing From"),
        (HeaderName::To, "Missing To"),
        (HeaderName::CallId, "Missing Call-ID"),
        (HeaderName::CSeq, "Missing CSeq"),
    ] {
        if request.headers.get(&name).is_none() {
            return Err(why);
        }
    }
    match request.headers.typed::<sipx_sip::CSeq>() {
        Some(Ok(cseq)) if cseq.method == request.method => Ok(()),
        _ => Err("Bad CSeq"),
    }
}

/// A response to `request`, with our To tag, extra headers and an SDP body.
fn build_response(
    request: &Request,
    code: u16,
    reason: &str,
    to_tag: Option<&str>,
    headers: &[(HeaderName, String)],
    sdp: Option<&str>,
) -> Result<Response, String> {
    let status = StatusCode::new(code).ok_or("bad status")?;
    let mut builder = ResponseBuilder::to_request(request, status, reason.to_string())
        .map_err(|e| e.to_string())?;
    if let Some(tag) = to_tag
        && let Some(to) = request.headers.value(&HeaderName::To)
    {
        let to = super::dialog::with_tag(String::from_utf8_lossy(&to).trim(), tag);
        builder = builder
            .set_header(&HeaderName::To, to)
            .map_err(|e| e.to_string())?;
    }
    for (name, value) in headers {
        builder = builder
            .header(name.clone(), value.clone())
            .map_err(|e| e.to_string())?;
    }
    builder = builder
        .header(
            HeaderName::Server,
            format!("ccp/{}", env!("CARGO_PKG_VERSION")),
        )
        .map_err(|e| e.to_string())?;
    if let Some(sdp) = sdp {
        builder = builder
            .header(HeaderName::ContentType, "application/sdp")
            .map_err(|e| e.to_string())?
            .body(Bytes::from(sdp.to_string()));
    }
    Ok(builder.build())
}

pub fn method_name(method: &Method) -> String {
    String::from_utf8_lossy(method.as_bytes()).to_string()
}
