//! The Calls section: the call records (`GET /api/calls`), searched by
//! agent, number and date, with a player for each recorded call. The audio
//! is fetched with the supervisor's token (an audio element cannot send
//! one) and played from memory.

use leptos::prelude::*;
use leptos_i18n::td_string;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::{CallRecordView, http, page::Desk};
use crate::{
    languages::use_locale,
    panel::state::{duration, time_of_day},
};

/// Records a search shows.
const SHOWN: u32 = 20;

#[component]
pub fn CallsSection() -> impl IntoView {
    let locale = use_locale();
    let desk = Desk::expect();
    let agent = RwSignal::new(String::new());
    let number = RwSignal::new(String::new());
    let date = RwSignal::new(String::new());
    let calls = RwSignal::new(Vec::<CallRecordView>::new());
    let failed = RwSignal::new(false);
    let search = move || {
        let Some(token) = desk.token() else {
            return;
        };
        let path = search_path(
            &agent.get_untracked(),
            &number.get_untracked(),
            &date.get_untracked(),
        );
        wasm_bindgen_futures::spawn_local(async move {
            match http::call::<Vec<CallRecordView>>("GET", &path, Some(&token), None::<&()>).await {
                Ok(found) => {
                    calls.set(found);
                    failed.set(false);
                }
                Err(_) => failed.set(true),
            }
        });
    };
    search();
    view! {
        <section class="sv-section" aria-labelledby="sv-calls">
            <h2 id="sv-calls" class="sv-heading">{td_string!(locale, supervisor.calls)}</h2>
            <form class="sv-search" role="search" aria-labelledby="sv-calls"
                on:submit=move |ev| { ev.prevent_default(); search(); }>
                <label>{td_string!(locale, supervisor.col_agent)}
                    <input type="text" autocomplete="off" bind:value=agent/></label>
                <label>{td_string!(locale, supervisor.calls_number)}
                    <input type="text" inputmode="tel" autocomplete="off" bind:value=number/></label>
                <label>{td_string!(locale, supervisor.calls_date)}
                    <input type="date" bind:value=date/></label>
                <button class="btn btn-secondary" type="submit">{td_string!(locale, supervisor.calls_search)}</button>
            </form>
            {move || failed.get().then(|| view! {
                <p class="sv-empty" role="alert">{td_string!(locale, supervisor.calls_failed)}</p>
            })}
            {move || (calls.with(Vec::is_empty) && !failed.get()).then(|| view! {
                <p class="sv-empty">{td_string!(locale, supervisor.no_calls)}</p>
            })}
            <div class="sv-scroll">
                <table class="sv-table">
                    <thead><tr>
                        <th scope="col">{td_string!(locale, supervisor.col_started)}</th>
                        <th scope="col">{td_string!(locale, supervisor.col_from)}</th>
                        <th scope="col">{td_string!(locale, supervisor.col_to)}</th>
                        // Not "Agent": the agents table's column keeps its name.
                        <th scope="col">{td_string!(locale, supervisor.agents)}</th>
                        <th scope="col">{td_string!(locale, supervisor.col_outcome)}</th>
                        <th scope="col">{td_string!(locale, supervisor.col_recording)}</th>
                    </tr></thead>
                    <tbody>
                        {move || calls.get().into_iter().map(|c| {
                            let started = js_sys::Date::parse(&c.started_at) as u64;
                            let agents = c.legs.iter().map(|l| l.agent_id.as_str()).collect::<Vec<_>>().join(", ");
                            view! {
                                <tr data-call-id=c.call_id.clone()>
                                    <td>{format!("{} {}", c.started_at.get(..10).unwrap_or_default(), time_of_day(locale, started))}</td>
                                    <td>{c.ani.clone()}</td>
                                    <td>{c.dnis.clone()}</td>
                                    <td>{agents}</td>
                                    <td>{c.outcome.clone()}</td>
                                    <td>{player(&c)}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// `/api/calls` for the search form's fields (a date is that whole day, UTC).
fn search_path(agent: &str, number: &str, date: &str) -> String {
    let mut path = format!("/api/calls?limit={SHOWN}");
    let mut add = |key: &str, value: &str| {
        let value = value.trim();
        if !value.is_empty() {
            let encoded = String::from(js_sys::encode_uri_component(value));
            path.push_str(&format!("&{key}={encoded}"));
        }
    };
    add("agent", agent);
    add("number", number);
    if !date.trim().is_empty() {
        add("from", date);
        add("to", &format!("{}T23:59:59.999Z", date.trim()));
    }
    path
}

/// A recorded call's player: a button that fetches the audio, then the
/// audio element, playing. Nothing for a call that was not recorded.
fn player(call: &CallRecordView) -> Option<impl IntoView + use<>> {
    let locale = use_locale();
    let desk = Desk::expect();
    let recording = call.recording.clone()?;
    let url = recording.url.clone()?;
    let label = td_string!(
        locale,
        supervisor.recording_of,
        call = call.call_id.as_str()
    )
    .to_string();
    let source = RwSignal::new(None::<String>);
    let load = move |_| {
        let (Some(token), url) = (desk.token(), url.clone()) else {
            return;
        };
        wasm_bindgen_futures::spawn_local(async move {
            if let Some(blob_url) = fetch_audio(&url, &token).await {
                source.set(Some(blob_url));
            }
        });
    };
    let pauses = recording.paused_spans.len();
    let length = duration((recording.duration_seconds * 1000.0) as u64);
    Some(view! {
        {move || match source.get() {
            Some(src) => view! {
                <audio controls autoplay src=src aria-label=label.clone()></audio>
            }.into_any(),
            None => view! {
                <button class="btn btn-ghost btn-small" aria-label=label.clone() on:click=load.clone()>
                    {format!("▶ {length}")}
                </button>
            }.into_any(),
        }}
        {(pauses > 0).then(|| view! {
            <span class="sv-sub">{td_string!(locale, supervisor.paused_spans, count = pauses)}</span>
        })}
    })
}

/// The audio at `url`, fetched with the supervisor's token, as a blob URL.
async fn fetch_audio(url: &str, token: &str) -> Option<String> {
    let response = http::send("GET", url, Some(token), None::<&()>)
        .await
        .ok()?;
    if !response.ok() {
        return None;
    }
    let blob: web_sys::Blob = JsFuture::from(response.blob().ok()?)
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}
