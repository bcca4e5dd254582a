//! The softphone as the panel sees it: what the Implementation's audio is
//! doing ([`AudioState`], published through the
//! [`EventSink`](super::EventSink)) and what the agent can do to it
//! ([`Softphone`]). Only an Implementation that declares the `audio`
//! capability has one (the reference Implementation, in a browser with
//! WebRTC); the panel shows no audio controls otherwise.

/// The capability an Implementation declares when it carries call audio.
pub const AUDIO_CAPABILITY: &str = "audio";

/// The microphone, as far as the page knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Microphone {
    /// Not asked yet: permission is asked at the first call, not at load.
    #[default]
    NotAsked,
    Asking,
    On,
    /// The agent or the browser refused it (the call still works; the
    /// customer hears nothing from the agent).
    Denied,
    /// No input device.
    Missing,
}

/// The audio link to the media server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AudioLink {
    #[default]
    Idle,
    Connecting,
    Connected,
    /// ICE consent lapsed: no media either way. The call itself goes on.
    Lost,
    /// Negotiation failed (the message says why).
    Failed,
}

/// An input or output device the browser offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioDevice {
    pub id: String,
    pub label: String,
}

/// What the panel renders of the softphone.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AudioState {
    pub microphone: Microphone,
    pub link: AudioLink,
    pub muted: bool,
    /// The microphone's level, 0 to 1 (0 while muted).
    pub level: f64,
    pub inputs: Vec<AudioDevice>,
    pub outputs: Vec<AudioDevice>,
    /// The chosen devices' ids ("" for the browser's default).
    pub input: String,
    pub output: String,
    /// Why the last attempt failed, in words for the agent.
    pub error: Option<String>,
}

/// What the agent (through the panel) can do to the softphone.
pub trait Softphone {
    /// Opens the session's audio for `call_id` if it is not open: asks for
    /// the microphone the first time, negotiates with the media server.
    fn open(&self, call_id: &str);
    /// Plays the far end while the agent talks on a call; silent otherwise.
    fn set_talking(&self, talking: bool);
    fn set_muted(&self, muted: bool);
    /// Switches the microphone (remembered in this browser).
    fn choose_input(&self, device_id: &str);
    /// Switches the loudspeaker (remembered in this browser).
    fn choose_output(&self, device_id: &str);
    /// Ends the audio (the agent logged out).
    fn close(&self);
}
