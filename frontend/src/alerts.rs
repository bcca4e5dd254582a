//! Telling the agent about a ringing call when the panel is not in view: a
//! ringtone made with WebAudio (autoplay rules may block it: then it stays
//! silent, never throws) and a desktop notification while the tab is hidden
//! (only with the permission the agent gave from the panel). Driven by the
//! Interface's applied events.

use std::{cell::RefCell, rc::Rc};

use app::{
    interface::Interface,
    languages,
    opencti::{
        events::{CallStateName, OpenCtiEvent},
        rules::CallState,
    },
    panel::status::incoming_alert,
};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;
use web_sys::{
    AudioContext, AudioContextState, Notification, NotificationOptions, NotificationPermission,
    OscillatorType,
};

thread_local! {
    static AUDIO: RefCell<Option<AudioContext>> = const { RefCell::new(None) };
    static RINGING: Rc<RefCell<bool>> = Rc::new(RefCell::new(false));
}

/// One ring: the North American two-tone (440 + 480 Hz) for 1.2 s.
fn ring_once() -> Result<(), JsValue> {
    let context = AUDIO.with(|a| -> Result<AudioContext, JsValue> {
        let mut audio = a.borrow_mut();
        if audio.is_none() {
            *audio = Some(AudioContext::new()?);
        }
        audio.clone().ok_or(JsValue::NULL)
    })?;
    if context.state() == AudioContextState::Suspended {
        // Blocked until the agent interacts with the page: the promise
        // rejects quietly and this ring is silent.
        let _ = context.resume();
    }
    let now = context.current_time();
    let gain = context.create_gain()?;
    gain.gain().set_value_at_time(0.0, now)?;
    gain.gain().linear_ramp_to_value_at_time(0.12, now + 0.05)?;
    gain.gain().set_value_at_time(0.12, now + 1.15)?;
    gain.gain().linear_ramp_to_value_at_time(0.0, now + 1.2)?;
    gain.connect_with_audio_node(&context.destination())?;
    for frequency in [440.0, 480.0] {
        let oscillator = context.create_oscillator()?;
        oscillator.set_type(OscillatorType::Sine);
        oscillator.frequency().set_value(frequency);
        oscillator.connect_with_audio_node(&gain)?;
        oscillator.start_with_when(now)?;
        oscillator.stop_with_when(now + 1.2)?;
    }
    Ok(())
}

/// Rings while any call alerts, and notifies each new ringing call.
pub fn install(interface: Interface) {
    interface.listen(Rc::new(move |event: &OpenCtiEvent| {
        if let OpenCtiEvent::CallStateEvent(call) = event
            && call.event_name == CallStateName::Alerting
        {
            notify_incoming(call.far_party());
        }
        let alerting = interface
            .store()
            .with_untracked(|s| s.call_in(CallState::Alerting).is_some());
        set_ringing(alerting);
    }));
}

/// Starts or stops the ringtone (a ring every 3 s while anything alerts).
fn set_ringing(on: bool) {
    let flag = RINGING.with(Rc::clone);
    let was = std::mem::replace(&mut *flag.borrow_mut(), on);
    if on && !was {
        spawn_local(async move {
            while *flag.borrow() {
                let _ = ring_once();
                TimeoutFuture::new(3_000).await;
            }
        });
    }
}

/// A desktop notification for a ringing call, if the tab is hidden and the
/// agent allowed them.
fn notify_incoming(number: &str) {
    let hidden = web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden());
    let supported =
        js_sys::Reflect::has(&js_sys::global(), &"Notification".into()).unwrap_or(false);
    if hidden && supported && Notification::permission() == NotificationPermission::Granted {
        let (title, body) = incoming_alert(languages::from_document().unwrap_or_default(), number);
        let options = NotificationOptions::new();
        options.set_body(&body);
        options.set_tag("opencti-incoming");
        let _ = Notification::new_with_options(title, &options);
    }
}
