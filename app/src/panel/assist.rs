//! The conversation assistant: what an AI engine listening to the call said
//! (`VoiceAIEvent`s): the live transcript, the latest intent, suggestion
//! cards the agent opens or dismisses, and the summary. Shown for the
//! agent's call that has a conversation, and during wrap-up for the call
//! just ended; the summary also pre-fills the wrap-up note (see
//! [`prefill_wrap_up_note`]).
//!
//! A split chunk ([`mount_assist`]) in a [`LazySlot`]: panels without an
//! engine never download it. Mounted, not hydrated: no `Show`, no `into_any`.

use leptos::prelude::*;
use leptos_i18n::td_string;

use super::slot::{LazySlot, Mount, SlotContext};
use crate::{
    interface::{
        Interface,
        conversation::{Conversation, Line},
        store::Store,
    },
    languages::{Locale, use_locale},
    opencti::{events::Speaker, validate},
};

/// The call whose conversation the assistant shows: the first of the
/// agent's calls that has one, else (in wrap-up) the call just ended.
pub fn focus(s: &Store) -> Option<String> {
    let has = |id: &String| s.conversation(id).is_some();
    s.calls
        .iter()
        .map(|c| &c.call_id)
        .find(|id| has(id))
        .or_else(|| {
            s.in_wrap_up()
                .then(|| s.recent.first().map(|r| &r.call_id))
                .flatten()
                .filter(|id| has(id))
        })
        .cloned()
}

/// Puts the engine's summary of the call being wrapped up into the note,
/// unless the agent already wrote one. Runs in the main module: the note is
/// the agent bar's.
pub fn prefill_wrap_up_note(interface: Interface, note: RwSignal<String>) {
    let store = interface.store();
    let filled_for = StoredValue::new(None::<String>);
    Effect::new(move |_| {
        let summary = store.with(|s| {
            let call = s.recent.first().filter(|_| s.in_wrap_up())?;
            let summary = s.conversation(&call.call_id)?.summary.clone()?;
            Some((call.call_id.clone(), summary))
        });
        let Some((call_id, summary)) = summary else {
            return;
        };
        if filled_for.get_value().as_ref() != Some(&call_id)
            && note.with_untracked(|n| n.trim().is_empty())
        {
            filled_for.set_value(Some(call_id));
            note.set(summary);
        }
    });
}

/// The slot, shown while there is a conversation to show.
#[component]
pub fn AssistBar() -> impl IntoView {
    let store = Interface::expect().store();
    let shown = Memo::new(move |_| store.with(|s| focus(s).is_some()));
    view! { <LazySlot class="assist-slot" shown=shown.into() mount=mount_assist/> }
}

/// The chunk's entry point.
#[wasm_split_helpers::wasm_split(assist, fallible)]
pub fn mount_assist(parent: web_sys::Element, context: SlotContext) -> Mount {
    context.mount(&parent, Assistant)
}

fn speaker_label(locale: Locale, speaker: Speaker) -> &'static str {
    match speaker {
        Speaker::Customer => td_string!(locale, assist.customer),
        Speaker::Agent => td_string!(locale, assist.agent),
    }
}

#[component]
fn Assistant() -> impl IntoView {
    let store = Interface::expect().store();
    let locale = use_locale();
    let call_id = Memo::new(move |_| store.with(focus));
    let conversation = Memo::new(move |_| {
        store.with(|s| {
            call_id
                .get()
                .and_then(|id| s.conversation(&id).cloned())
                .unwrap_or_default()
        })
    });
    // Dismissed cards, by call and number: the agent's view, not the call's.
    let dismissed = RwSignal::new(Vec::<(String, u32)>::new());
    let lines = move || {
        conversation.with(|c: &Conversation| {
            c.lines
                .iter()
                .map(|l| (l.id, l.text.clone(), l.is_final, l.speaker))
                .collect::<Vec<_>>()
        })
    };
    let intent = move || {
        conversation.with(|c| {
            c.intent.as_ref().map(|(name, confidence)| {
                td_string!(
                    locale,
                    assist.intent,
                    name = name.as_str(),
                    percent = (confidence * 100.0).round() as u32
                )
                .to_string()
            })
        })
    };
    let suggestions = move || {
        let call = call_id.get().unwrap_or_default();
        conversation.with(|c| {
            c.suggestions
                .iter()
                .filter(|s| !dismissed.with(|d| d.contains(&(call.clone(), s.id))))
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <section class="assist" aria-label=td_string!(locale, assist.group)>
            {move || intent().map(|text| view! { <p class="assist-intent">{text}</p> })}
            <ol class="transcript" role="log" aria-label=td_string!(locale, assist.transcript)>
                <For each=lines key=|line| line.clone() let:line>
                    {transcript_line(locale, Line { id: line.0, text: line.1, is_final: line.2, speaker: line.3 })}
                </For>
            </ol>
            <ul class="suggestions" aria-label=td_string!(locale, assist.suggestions)>
                <For each=suggestions key=|s| s.id let:suggestion>
                    <li class="suggestion">
                        <strong class="suggestion-title">{suggestion.title.clone()}</strong>
                        <p>{suggestion.text.clone()}</p>
                        <div class="suggestion-actions">
                            {suggestion.url.clone().filter(|u| validate::web_link(u)).map(|url| view! {
                                <a class="btn btn-secondary btn-small" href=url target="_blank" rel="noopener noreferrer">
                                    {td_string!(locale, assist.open)}
                                </a>
                            })}
                            <button class="btn btn-ghost btn-small"
                                aria-label=td_string!(locale, assist.dismiss_named, title = suggestion.title.as_str()).to_string()
                                on:click=move |_| {
                                    let call = call_id.get_untracked().unwrap_or_default();
                                    dismissed.update(|d| d.push((call, suggestion.id)));
                                }>{td_string!(locale, assist.dismiss)}</button>
                        </div>
                    </li>
                </For>
            </ul>
            {move || conversation.with(|c| c.summary.clone()).map(|text| view! {
                <p class="assist-summary"><strong>{td_string!(locale, assist.summary)}</strong>" "{text}</p>
            })}
        </section>
    }
}

fn transcript_line(locale: Locale, line: Line) -> impl IntoView {
    let class = if line.is_final {
        "utterance"
    } else {
        "utterance interim"
    };
    let speaker = match line.speaker {
        Speaker::Customer => "customer",
        Speaker::Agent => "agent",
    };
    view! {
        <li class=class data-speaker=speaker>
            <span class="speaker">{speaker_label(locale, line.speaker)}</span>
            <span class="utterance-text">{line.text}</span>
            {(!line.is_final).then(|| view! { <span class="visually-hidden">{td_string!(locale, assist.interim)}</span> })}
        </li>
    }
}
