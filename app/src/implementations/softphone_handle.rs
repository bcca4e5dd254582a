//! The reference Implementation's handle on its softphone. The softphone
//! itself ([`super::softphone`]) is a wasm chunk of its own: an agent's
//! panel downloads it at the first call, when the microphone is asked for
//! anyway, so the page loads as fast as before. Until it has arrived the
//! handle keeps what the panel asked (play or not) and hands it over.

use std::{cell::RefCell, rc::Rc};

use js_sys::Reflect;
use wasm_bindgen_futures::spawn_local;

use super::softphone::{IceServers, Negotiate, load_softphone};
use crate::{
    interface::{
        EventSink,
        audio::{AudioLink, Softphone},
    },
    wire::native::IceServer,
};

/// Whether this browser can carry audio (WebRTC and a media devices API,
/// which needs a secure context: HTTPS, or localhost).
pub fn supported() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    Reflect::has(&window, &"RTCPeerConnection".into()).unwrap_or(false)
        && Reflect::get(&window.navigator(), &"mediaDevices".into())
            .is_ok_and(|d| !d.is_undefined())
}

#[derive(Clone)]
pub struct SoftphoneHandle {
    sink: EventSink,
    negotiate: Negotiate,
    ice_servers: IceServers,
    state: Rc<RefCell<Loading>>,
}

#[derive(Default)]
struct Loading {
    phone: Option<Rc<dyn Softphone>>,
    loading: bool,
    /// The call to open audio for once the chunk is here.
    open_for: Option<String>,
    talking: bool,
}

impl SoftphoneHandle {
    pub fn new(sink: EventSink, negotiate: Negotiate) -> Self {
        Self {
            sink,
            negotiate,
            ice_servers: IceServers::default(),
            state: Rc::default(),
        }
    }

    /// The STUN/TURN servers the session names (from its login or resume).
    pub fn set_ice_servers(&self, servers: Vec<IceServer>) {
        *self.ice_servers.borrow_mut() = servers;
    }

    fn phone(&self) -> Option<Rc<dyn Softphone>> {
        self.state.borrow().phone.clone()
    }

    async fn load(self) {
        let loaded =
            load_softphone(self.sink, self.negotiate.clone(), self.ice_servers.clone()).await;
        let Ok(phone) = loaded else {
            // The next call (or the next open) tries again.
            self.state.borrow_mut().loading = false;
            self.sink.update_audio(|audio| {
                audio.link = AudioLink::Failed;
                audio.error = Some("the softphone could not be loaded".into());
            });
            return;
        };
        let (open_for, talking) = {
            let mut state = self.state.borrow_mut();
            state.phone = Some(phone.clone());
            state.loading = false;
            (state.open_for.take(), state.talking)
        };
        if let Some(call_id) = open_for {
            phone.open(&call_id);
        }
        phone.set_talking(talking);
    }
}

impl Softphone for SoftphoneHandle {
    fn open(&self, call_id: &str) {
        if let Some(phone) = self.phone() {
            return phone.open(call_id);
        }
        let mut state = self.state.borrow_mut();
        state.open_for = Some(call_id.to_string());
        if !std::mem::replace(&mut state.loading, true) {
            spawn_local(self.clone().load());
        }
    }

    fn set_talking(&self, talking: bool) {
        self.state.borrow_mut().talking = talking;
        if let Some(phone) = self.phone() {
            phone.set_talking(talking);
        }
    }

    fn set_muted(&self, muted: bool) {
        if let Some(phone) = self.phone() {
            phone.set_muted(muted);
        }
    }

    fn choose_input(&self, device_id: &str) {
        if let Some(phone) = self.phone() {
            phone.choose_input(device_id);
        }
    }

    fn choose_output(&self, device_id: &str) {
        if let Some(phone) = self.phone() {
            phone.choose_output(device_id);
        }
    }

    fn close(&self) {
        self.state.borrow_mut().open_for = None;
        if let Some(phone) = self.phone() {
            phone.close();
        }
    }
}
