//! The reference Implementation's softphone: one `RTCPeerConnection` to the
//! server's media plane for the whole session (opened at the first call, so
//! that later calls are heard the moment they are answered, as Amazon
//! Connect's persistent connection does), the microphone asked for only
//! then, a level meter, mute, and device choice remembered per browser.
//! G.711 is what the server speaks; the browser's offer carries it.
//!
//! A split point: built with `cargo leptos build --split`, this is a wasm
//! chunk of its own ([`load_softphone`]), fetched at the first call through
//! the reference Implementation's [`SoftphoneHandle`](super::softphone_handle).

use std::{cell::RefCell, rc::Rc};

use js_sys::{Array, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{
    AnalyserNode, AudioContext, HtmlAudioElement, MediaDeviceInfo, MediaDeviceKind, MediaStream,
    MediaStreamConstraints, MediaStreamTrack, RtcConfiguration, RtcIceConnectionState,
    RtcPeerConnection, RtcRtpSender, RtcRtpTransceiverDirection, RtcRtpTransceiverInit, RtcSdpType,
    RtcSessionDescriptionInit, RtcTrackEvent,
};

use super::to_js;
use crate::{
    interface::{
        EventSink, LocalFuture,
        audio::{AudioDevice, AudioLink, AudioState, Microphone, Softphone},
    },
    opencti::OpenCtiError,
    wire::native::IceServer,
};

/// Sends the browser's offer for a call, resolves to the server's answer.
pub type Negotiate = Rc<dyn Fn(String, String) -> LocalFuture<Result<String, OpenCtiError>>>;

/// Where the chosen devices are remembered.
const INPUT_KEY: &str = "opencti.audio.input";
const OUTPUT_KEY: &str = "opencti.audio.output";
/// How long a failed link waits before it is opened again.
const REOPEN_MS: u32 = 2_000;
/// How often the meter reads the microphone.
const METER_MS: u32 = 100;

/// The STUN/TURN servers of the session, shared with the handle (a resume
/// may bring new ones).
pub type IceServers = Rc<RefCell<Vec<IceServer>>>;

/// Builds the softphone (the chunk's entry point). Fallible: a chunk that
/// cannot be fetched is an audio failure the panel shows, not a panic.
#[wasm_split_helpers::wasm_split(softphone, fallible)]
pub fn load_softphone(
    sink: EventSink,
    negotiate: Negotiate,
    ice_servers: IceServers,
) -> Result<Rc<dyn Softphone>, wasm_split_helpers::SplitLoaderError> {
    Ok(Rc::new(BrowserSoftphone::new(sink, negotiate, ice_servers)))
}

#[derive(Clone)]
struct BrowserSoftphone {
    inner: Rc<RefCell<Inner>>,
    sink: EventSink,
    negotiate: Negotiate,
    ice_servers: IceServers,
}

#[derive(Default)]
struct Inner {
    peer: Option<RtcPeerConnection>,
    microphone: Option<MediaStream>,
    sender: Option<RtcRtpSender>,
    speaker: Option<HtmlAudioElement>,
    meter: Option<(AudioContext, AnalyserNode)>,
    opening: bool,
    /// The call the audio was last opened for (a lost link reopens with it).
    call_id: String,
    talking: bool,
    muted: bool,
    metering: bool,
    /// Keeps the peer's event handlers alive.
    handlers: Vec<Closure<dyn FnMut(JsValue)>>,
}

impl BrowserSoftphone {
    fn new(sink: EventSink, negotiate: Negotiate, ice_servers: IceServers) -> Self {
        let stored = |key| storage().and_then(|s| s.get_item(key).ok().flatten());
        sink.audio(AudioState {
            input: stored(INPUT_KEY).unwrap_or_default(),
            output: stored(OUTPUT_KEY).unwrap_or_default(),
            ..AudioState::default()
        });
        Self {
            inner: Rc::new(RefCell::new(Inner::default())),
            sink,
            negotiate,
            ice_servers,
        }
    }

    async fn start(self, call_id: String) {
        self.sink.update_audio(|a| {
            a.microphone = Microphone::Asking;
            a.link = AudioLink::Connecting;
            a.error = None;
        });
        let input = self.chosen(|a| a.input.clone());
        let microphone = match get_microphone(&input).await {
            Ok(stream) => {
                self.sink.update_audio(|a| a.microphone = Microphone::On);
                Some(stream)
            }
            Err(refusal) => {
                self.sink.update_audio(|a| a.microphone = refusal);
                None
            }
        };
        match self.connect(&call_id, microphone).await {
            Ok(()) => {}
            Err(message) => {
                self.teardown();
                self.sink.update_audio(|a| {
                    a.link = AudioLink::Failed;
                    a.error = Some(message);
                });
            }
        }
        self.inner.borrow_mut().opening = false;
        self.refresh_devices().await;
        self.apply_talking();
    }

    async fn connect(&self, call_id: &str, microphone: Option<MediaStream>) -> Result<(), String> {
        let config = RtcConfiguration::new();
        config.set_ice_servers(&to_js(&*self.ice_servers.borrow()));
        let peer = RtcPeerConnection::new_with_configuration(&config).map_err(describe)?;
        let speaker = self.speaker()?;
        let on_track = Closure::<dyn FnMut(JsValue)>::new({
            let speaker = speaker.clone();
            move |event: JsValue| {
                let event: RtcTrackEvent = event.unchecked_into();
                let stream = event
                    .streams()
                    .get(0)
                    .dyn_into::<MediaStream>()
                    .ok()
                    .or_else(|| MediaStream::new_with_tracks(&Array::of1(&event.track())).ok());
                speaker.set_src_object(stream.as_ref());
            }
        });
        peer.set_ontrack(Some(on_track.as_ref().unchecked_ref()));
        let on_state = Closure::<dyn FnMut(JsValue)>::new({
            let this = self.clone();
            move |_| this.on_ice_state()
        });
        peer.set_oniceconnectionstatechange(Some(on_state.as_ref().unchecked_ref()));
        let sender = match &microphone {
            Some(stream) => {
                let track = first_track(stream).ok_or("the microphone has no audio track")?;
                Some(peer.add_track_0(&track, stream))
            }
            None => {
                let init = RtcRtpTransceiverInit::new();
                init.set_direction(RtcRtpTransceiverDirection::Recvonly);
                peer.add_transceiver_with_str_and_init("audio", &init);
                None
            }
        };
        {
            let mut inner = self.inner.borrow_mut();
            inner.handlers = vec![on_track, on_state];
            inner.peer = Some(peer.clone());
            inner.sender = sender;
            inner.microphone = microphone.clone();
        }
        if let Some(stream) = &microphone {
            self.start_meter(stream);
            let muted = self.inner.borrow().muted;
            self.set_muted(muted);
        }
        let offer = JsFuture::from(peer.create_offer())
            .await
            .map_err(describe)?;
        let sdp = Reflect::get(&offer, &"sdp".into())
            .ok()
            .and_then(|s| s.as_string())
            .ok_or("the browser made no offer")?;
        let local = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
        local.set_sdp(&sdp);
        JsFuture::from(peer.set_local_description(&local))
            .await
            .map_err(describe)?;
        let answer = (self.negotiate)(call_id.to_string(), sdp)
            .await
            .map_err(|e| e.err_message)?;
        let remote = RtcSessionDescriptionInit::new(RtcSdpType::Answer);
        remote.set_sdp(&answer);
        JsFuture::from(peer.set_remote_description(&remote))
            .await
            .map_err(describe)?;
        Ok(())
    }

    fn on_ice_state(&self) {
        let Some(peer) = self.inner.borrow().peer.clone() else {
            return;
        };
        let link = match peer.ice_connection_state() {
            RtcIceConnectionState::Connected | RtcIceConnectionState::Completed => {
                AudioLink::Connected
            }
            RtcIceConnectionState::Disconnected | RtcIceConnectionState::Failed => AudioLink::Lost,
            RtcIceConnectionState::Closed => AudioLink::Idle,
            _ => AudioLink::Connecting,
        };
        self.sink.update_audio(|a| a.link = link);
        if link == AudioLink::Lost && peer.ice_connection_state() == RtcIceConnectionState::Failed {
            // A failed link is closed and opened again a little later, for
            // the call it was opened for (the server refuses if it is over).
            self.teardown();
            self.sink.update_audio(|a| a.link = AudioLink::Lost);
            let this = self.clone();
            let call_id = self.inner.borrow().call_id.clone();
            spawn_local(async move {
                gloo_timers::future::TimeoutFuture::new(REOPEN_MS).await;
                this.open(&call_id);
            });
        }
    }

    /// The `<audio>` element the far end plays in (made once, kept out of
    /// the document: it needs no controls).
    fn speaker(&self) -> Result<HtmlAudioElement, String> {
        if let Some(speaker) = self.inner.borrow().speaker.clone() {
            return Ok(speaker);
        }
        let speaker = HtmlAudioElement::new().map_err(describe)?;
        speaker.set_autoplay(false);
        let output = self.chosen(|a| a.output.clone());
        if !output.is_empty() {
            set_sink_id(&speaker, &output);
        }
        self.inner.borrow_mut().speaker = Some(speaker.clone());
        Ok(speaker)
    }

    fn apply_talking(&self) {
        let (speaker, talking) = {
            let inner = self.inner.borrow();
            (inner.speaker.clone(), inner.talking)
        };
        if let Some(speaker) = speaker {
            if talking {
                if let Ok(promise) = speaker.play() {
                    spawn_local(async move {
                        let _ = JsFuture::from(promise).await;
                    });
                }
            } else {
                let _ = speaker.pause();
            }
        }
    }

    fn start_meter(&self, stream: &MediaStream) {
        let Ok(context) = AudioContext::new() else {
            return;
        };
        let (Ok(source), Ok(analyser)) = (
            context.create_media_stream_source(stream),
            context.create_analyser(),
        ) else {
            return;
        };
        analyser.set_fft_size(1024);
        let _ = source.connect_with_audio_node(&analyser);
        if let Ok(promise) = context.resume() {
            spawn_local(async move {
                let _ = JsFuture::from(promise).await;
            });
        }
        let mut inner = self.inner.borrow_mut();
        if let Some((old, _)) = inner.meter.replace((context, analyser)) {
            let _ = old.close();
        }
        if !inner.metering {
            inner.metering = true;
            let this = self.clone();
            spawn_local(async move { this.meter_loop().await });
        }
    }

    async fn meter_loop(self) {
        let mut samples = vec![0f32; 1024];
        loop {
            gloo_timers::future::TimeoutFuture::new(METER_MS).await;
            let level = {
                let inner = self.inner.borrow();
                let Some((_, analyser)) = inner.meter.as_ref() else {
                    break;
                };
                if inner.muted {
                    0.0
                } else {
                    analyser.get_float_time_domain_data(&mut samples);
                    let mean = samples.iter().map(|s| f64::from(s * s)).sum::<f64>()
                        / samples.len() as f64;
                    // −60 dBFS … 0 dBFS onto 0 … 1, as meters show speech.
                    let dbfs = 10.0 * mean.max(1e-12).log10();
                    ((dbfs + 60.0) / 60.0).clamp(0.0, 1.0)
                }
            };
            let level = (level * 100.0).round() / 100.0;
            self.sink.update_audio(|a| {
                if a.level != level {
                    a.level = level;
                }
            });
        }
        self.inner.borrow_mut().metering = false;
    }

    async fn refresh_devices(&self) {
        let Some(devices) = media_devices() else {
            return;
        };
        let Ok(promise) = devices.enumerate_devices() else {
            return;
        };
        let Ok(list) = JsFuture::from(promise).await else {
            return;
        };
        let (mut inputs, mut outputs) = (vec![], vec![]);
        for device in Array::from(&list).iter() {
            let device: MediaDeviceInfo = device.unchecked_into();
            let entry = AudioDevice {
                id: device.device_id(),
                label: device.label(),
            };
            match device.kind() {
                MediaDeviceKind::Audioinput => inputs.push(entry),
                MediaDeviceKind::Audiooutput => outputs.push(entry),
                _ => {}
            }
        }
        self.sink.update_audio(|a| {
            a.inputs = inputs;
            a.outputs = outputs;
        });
    }

    fn chosen(&self, pick: impl Fn(&AudioState) -> String) -> String {
        self.sink.read_audio(pick)
    }

    /// Closes the peer connection and releases the microphone.
    fn teardown(&self) {
        let mut inner = self.inner.borrow_mut();
        if let Some(peer) = inner.peer.take() {
            peer.set_ontrack(None);
            peer.set_oniceconnectionstatechange(None);
            peer.close();
        }
        if let Some(stream) = inner.microphone.take() {
            stop_tracks(&stream);
        }
        if let Some((context, _)) = inner.meter.take() {
            let _ = context.close();
        }
        inner.sender = None;
        inner.handlers.clear();
        if let Some(speaker) = &inner.speaker {
            speaker.set_src_object(None);
        }
    }
}

impl Softphone for BrowserSoftphone {
    fn open(&self, call_id: &str) {
        {
            let mut inner = self.inner.borrow_mut();
            if inner.opening || inner.peer.is_some() {
                return;
            }
            inner.opening = true;
            inner.call_id = call_id.to_string();
        }
        let this = self.clone();
        let call_id = call_id.to_string();
        spawn_local(async move { this.start(call_id).await });
    }

    fn set_talking(&self, talking: bool) {
        let changed = {
            let mut inner = self.inner.borrow_mut();
            std::mem::replace(&mut inner.talking, talking) != talking
        };
        if changed {
            self.apply_talking();
        }
    }

    fn set_muted(&self, muted: bool) {
        let stream = {
            let mut inner = self.inner.borrow_mut();
            inner.muted = muted;
            inner.microphone.clone()
        };
        if let Some(track) = stream.as_ref().and_then(first_track) {
            track.set_enabled(!muted);
        }
        self.sink.update_audio(|a| {
            a.muted = muted;
            if muted {
                a.level = 0.0;
            }
        });
    }

    fn choose_input(&self, device_id: &str) {
        remember(INPUT_KEY, device_id);
        self.sink.update_audio(|a| a.input = device_id.to_string());
        let sender = self.inner.borrow().sender.clone();
        let Some(sender) = sender else {
            return;
        };
        let this = self.clone();
        let device_id = device_id.to_string();
        spawn_local(async move {
            let Ok(stream) = get_microphone(&device_id).await else {
                return;
            };
            let Some(track) = first_track(&stream) else {
                return;
            };
            let _ = JsFuture::from(sender.replace_track(Some(&track))).await;
            let old = this.inner.borrow_mut().microphone.replace(stream.clone());
            if let Some(old) = old {
                stop_tracks(&old);
            }
            this.start_meter(&stream);
            let muted = this.inner.borrow().muted;
            this.set_muted(muted);
        });
    }

    fn choose_output(&self, device_id: &str) {
        remember(OUTPUT_KEY, device_id);
        self.sink.update_audio(|a| a.output = device_id.to_string());
        if let Some(speaker) = self.inner.borrow().speaker.as_ref() {
            set_sink_id(speaker, device_id);
        }
    }

    fn close(&self) {
        self.teardown();
        let mut inner = self.inner.borrow_mut();
        inner.talking = false;
        inner.muted = false;
        drop(inner);
        self.sink.update_audio(|a| {
            a.link = AudioLink::Idle;
            a.muted = false;
            a.level = 0.0;
        });
    }
}

fn media_devices() -> Option<web_sys::MediaDevices> {
    web_sys::window()?.navigator().media_devices().ok()
}

/// The microphone (`device_id`, or the default), or why there is none.
async fn get_microphone(device_id: &str) -> Result<MediaStream, Microphone> {
    let devices = media_devices().ok_or(Microphone::Missing)?;
    let constraints = MediaStreamConstraints::new();
    if device_id.is_empty() {
        constraints.set_audio_bool(true);
    } else {
        let audio = js_sys::Object::new();
        let _ = Reflect::set(&audio, &"deviceId".into(), &device_id.into());
        constraints.set_audio(&audio);
    }
    constraints.set_video_bool(false);
    let promise: Promise = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(|_| Microphone::Denied)?;
    match JsFuture::from(promise).await {
        Ok(stream) => Ok(stream.unchecked_into()),
        Err(err) => {
            let name = Reflect::get(&err, &"name".into())
                .ok()
                .and_then(|n| n.as_string())
                .unwrap_or_default();
            Err(match name.as_str() {
                "NotFoundError" | "OverconstrainedError" | "NotReadableError" => {
                    Microphone::Missing
                }
                _ => Microphone::Denied,
            })
        }
    }
}

fn first_track(stream: &MediaStream) -> Option<MediaStreamTrack> {
    stream.get_audio_tracks().get(0).dyn_into().ok()
}

fn stop_tracks(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<MediaStreamTrack>() {
            track.stop();
        }
    }
}

/// `HTMLMediaElement.setSinkId`, where the browser has it.
fn set_sink_id(speaker: &HtmlAudioElement, device_id: &str) {
    let Ok(set) = Reflect::get(speaker, &"setSinkId".into()) else {
        return;
    };
    let promise = set
        .dyn_ref::<js_sys::Function>()
        .and_then(|set| set.call1(speaker, &device_id.into()).ok())
        .and_then(|p| p.dyn_into::<Promise>().ok());
    if let Some(promise) = promise {
        spawn_local(async move {
            let _ = JsFuture::from(promise).await;
        });
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn remember(key: &str, value: &str) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(key, value);
    }
}

fn describe(err: JsValue) -> String {
    Reflect::get(&err, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| err.as_string())
        .unwrap_or_else(|| "the browser refused the audio connection".into())
}
