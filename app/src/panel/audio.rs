//! The softphone's controls, shown while the agent has calls and the active
//! Implementation carries audio: Mute, the microphone's level, what the
//! audio is doing, and the devices. The panel opens the audio at the first
//! call (the microphone is asked for then, not at page load) and plays the
//! far end only while a call is connected.
//!
//! The controls are a split point, like the softphone: a wasm chunk of
//! their own ([`mount_audio_bar`]), mounted in the browser only (the server
//! never renders a call) under the panel's empty slot at the first call.
//! Mounted, not hydrated: no `Show` and no `into_any` inside.

use leptos::prelude::*;
use leptos_i18n::td_string;

use super::slot::{LazySlot, Mount, SlotContext};
use crate::{
    interface::{
        Interface,
        audio::{AUDIO_CAPABILITY, AudioLink, AudioState, Microphone},
    },
    languages::{Locale, use_locale},
    opencti::events::CallStateName,
};

/// Drives the softphone from the store (browser only: call it from an
/// effect): open at the first call, play while talking, close at logout.
///
/// Off the click path: the softphone follows in a task of its own, after
/// the one that updates the DOM (starting or pausing the speaker costs as
/// much as rendering the call card), and it reads the state as of then, so
/// a burst of changes is applied once and in order.
pub fn follow_calls(interface: Interface) {
    let wanted = Memo::new(move |_| {
        interface.store().with(|s| {
            let call = s
                .calls
                .iter()
                .find(|c| {
                    !matches!(
                        c.call_state,
                        CallStateName::Disconnected | CallStateName::Abandoned
                    )
                })
                .map(|c| c.call_id.clone());
            let talking = s
                .calls
                .iter()
                .any(|c| c.call_state.call_state() == crate::opencti::rules::CallState::Connected);
            (s.logged_in(), call, talking)
        })
    });
    let apply = move || {
        let Some(softphone) = interface.softphone() else {
            return;
        };
        let Some((logged_in, call, talking)) = wanted.try_get_untracked() else {
            return;
        };
        if !logged_in {
            softphone.close();
            return;
        }
        if let Some(call_id) = call {
            softphone.open(&call_id);
        }
        softphone.set_talking(talking);
    };
    Effect::new(move |_| {
        interface.declaration().track();
        wanted.track();
        after_this_task(apply);
    });
}

/// Runs `work` in a task of its own, after the current one: a message to a
/// `MessageChannel`, which browsers do not throttle in background tabs as
/// they do timers.
fn after_this_task(work: impl FnOnce() + 'static) {
    use wasm_bindgen::{JsCast, JsValue, closure::Closure};
    let Ok(channel) = web_sys::MessageChannel::new() else {
        return work();
    };
    let (port, reply) = (channel.port1(), channel.port2());
    // The callback holds the channel until the message has arrived.
    let callback = Closure::once_into_js(move |_: web_sys::MessageEvent| {
        let _channel = channel;
        work();
    });
    port.set_onmessage(Some(callback.unchecked_ref()));
    let _ = reply.post_message(&JsValue::NULL);
}

/// What the audio is doing, in words (the most urgent first).
fn status(locale: Locale, audio: &AudioState) -> String {
    match (audio.microphone, audio.link) {
        (Microphone::Denied, _) => td_string!(locale, audio.denied).to_string(),
        (Microphone::Missing, _) => td_string!(locale, audio.missing).to_string(),
        (Microphone::Asking, _) => td_string!(locale, audio.asking).to_string(),
        (_, AudioLink::Failed) => td_string!(
            locale,
            audio.failed,
            reason = audio.error.as_deref().unwrap_or("")
        )
        .to_string(),
        (_, AudioLink::Lost) => td_string!(locale, audio.lost).to_string(),
        (_, AudioLink::Connecting) => td_string!(locale, audio.connecting).to_string(),
        (_, _) if audio.muted => td_string!(locale, audio.muted).to_string(),
        (_, AudioLink::Connected) => td_string!(locale, audio.connected).to_string(),
        (_, AudioLink::Idle) => String::new(),
    }
}

/// The tone of the status: `bad` needs the agent, `warn` is passing.
fn tone(audio: &AudioState) -> &'static str {
    match (audio.microphone, audio.link) {
        (Microphone::Denied | Microphone::Missing, _)
        | (_, AudioLink::Failed | AudioLink::Lost) => "bad",
        (Microphone::Asking, _) | (_, AudioLink::Connecting) => "warn",
        _ if audio.muted => "warn",
        _ => "ok",
    }
}

/// The slot the controls are mounted in, shown while the agent has calls
/// and the Implementation carries audio.
#[component]
pub fn AudioBar() -> impl IntoView {
    let interface = Interface::expect();
    let store = interface.store();
    let shown = Memo::new(move |_| {
        interface
            .declaration()
            .with(|d| d.capabilities.iter().any(|c| c == AUDIO_CAPABILITY))
            && store.with(|s| !s.calls.is_empty())
    });
    view! { <LazySlot class="audio-slot" shown=shown.into() mount=mount_audio_bar/> }
}

/// Mounts the controls under `parent` (the chunk's entry point); they stay
/// for the page's life.
#[wasm_split_helpers::wasm_split(audio_bar, fallible)]
pub fn mount_audio_bar(parent: web_sys::Element, context: SlotContext) -> Mount {
    context.mount(&parent, AudioControls)
}

/// Mute, the meter, the status and the devices.
#[component]
fn AudioControls() -> impl IntoView {
    let interface = Interface::expect();
    let audio = interface.audio();
    let locale = use_locale();
    let muted = move || audio.with(|a| a.muted);
    let level = move || audio.with(|a| (a.level * 100.0).round());
    let toggle_mute = move |_| {
        if let Some(softphone) = interface.softphone() {
            softphone.set_muted(!muted());
        }
    };
    view! {
        <div class="audio-bar" role="group" aria-label=td_string!(locale, audio.group)>
            <button class="btn btn-secondary btn-mute" aria-pressed=move || muted().to_string()
                disabled=move || audio.with(|a| a.microphone != Microphone::On)
                on:click=toggle_mute>{td_string!(locale, audio.mute)}</button>
            <div class="meter" role="meter" aria-label=td_string!(locale, audio.level)
                aria-valuemin="0" aria-valuemax="100" aria-valuenow=level>
                <div class="meter-fill" style:width=move || format!("{}%", level())></div>
            </div>
            <span class="audio-status" aria-live="polite" data-tone=move || audio.with(tone)>
                {move || audio.with(|a| status(locale, a))}
            </span>
            <DeviceChoice/>
        </div>
    }
}

/// The microphone and loudspeaker, once the browser lists them (it names
/// devices only after the microphone is allowed).
#[component]
fn DeviceChoice() -> impl IntoView {
    let locale = use_locale();
    view! {
        <details class="audio-devices">
            <summary>{td_string!(locale, audio.devices)}</summary>
            <DeviceSelect input=true/>
            <DeviceSelect input=false/>
        </details>
    }
}

/// The choice of the microphone (`input`) or the loudspeaker.
#[component]
fn DeviceSelect(input: bool) -> impl IntoView {
    let interface = Interface::expect();
    let audio = interface.audio();
    let locale = use_locale();
    let label = if input {
        td_string!(locale, audio.microphone)
    } else {
        td_string!(locale, audio.speaker)
    };
    let devices = move |a: &AudioState| {
        if input {
            (a.inputs.clone(), a.input.clone())
        } else {
            (a.outputs.clone(), a.output.clone())
        }
    };
    let options = move || {
        let (devices, chosen) = audio.with(devices);
        devices
            .into_iter()
            .enumerate()
            .map(|(n, d)| {
                let label = if d.label.is_empty() {
                    td_string!(locale, audio.device, number = n + 1).to_string()
                } else {
                    d.label
                };
                let selected = d.id == chosen;
                view! { <option value=d.id selected=selected>{label}</option> }
            })
            .collect_view()
    };
    let choose = move |ev| {
        if let Some(softphone) = interface.softphone() {
            let id = event_target_value(&ev);
            if input {
                softphone.choose_input(&id);
            } else {
                softphone.choose_output(&id);
            }
        }
    };
    view! {
        // The select is named by its label alone: wrapped in the label, its
        // name would take the chosen option's text as well.
        <label>
            <span>{label}</span>
            <select aria-label=label on:change=choose>
                <option value="" selected=move || audio.with(|a| devices(a).1.is_empty())>{td_string!(locale, audio.default_device)}</option>
                {options}
            </select>
        </label>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_microphone_outranks_everything() {
        let audio = AudioState {
            microphone: Microphone::Denied,
            link: AudioLink::Connected,
            muted: true,
            ..AudioState::default()
        };
        assert!(status(Locale::en, &audio).starts_with("Microphone blocked"));
        assert_eq!(tone(&audio), "bad");
    }

    #[test]
    fn muted_shows_while_the_link_is_up() {
        let mut audio = AudioState {
            microphone: Microphone::On,
            link: AudioLink::Connected,
            ..AudioState::default()
        };
        assert_eq!(status(Locale::en, &audio), "Audio connected");
        audio.muted = true;
        assert_eq!(status(Locale::en, &audio), "Muted");
        audio.link = AudioLink::Lost;
        assert!(status(Locale::en, &audio).starts_with("Audio link lost"));
    }
}
