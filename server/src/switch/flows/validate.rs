//! Checks flows at start and compiles them into what the switch runs. A
//! configuration that passes ends every call: every step is reachable,
//! every step named exists, and the steps a caller who presses nothing
//! goes through (prompts, timeouts, hours, fallbacks) never lead back to a
//! step already taken, so they end at a queue, a transfer or a hang-up.

use std::{collections::BTreeMap, path::PathBuf};

use jiff::civil::{Date, Weekday};

use super::{
    Flow, Hours, Prompt, Span, Step,
    config::{FlowConfig, PromptConfig, StepConfig},
};
use crate::switch::config::SwitchConfig;

/// The flows by number, checked against the rest of the configuration.
pub fn compile(config: &SwitchConfig) -> Result<BTreeMap<String, Flow>, String> {
    let mut flows = BTreeMap::new();
    for flow in &config.flows {
        let at = format!("flow {}", flow.number);
        let compiled = compile_flow(flow, config).map_err(|e| format!("{at}: {e}"))?;
        if flows.insert(flow.number.clone(), compiled).is_some() {
            return Err(format!("{at} is configured twice"));
        }
    }
    Ok(flows)
}

fn compile_flow(flow: &FlowConfig, config: &SwitchConfig) -> Result<Flow, String> {
    if !flow.steps.contains_key(&flow.start) {
        return Err(format!("start names unknown step {}", flow.start));
    }
    let mut steps = BTreeMap::new();
    for (name, step) in &flow.steps {
        let compiled = compile_step(step, config).map_err(|e| format!("step {name}: {e}"))?;
        for next in compiled.next_steps() {
            if !flow.steps.contains_key(next) {
                return Err(format!("step {name} names unknown step {next}"));
            }
        }
        steps.insert(name.clone(), compiled);
    }
    let compiled = Flow {
        number: flow.number.clone(),
        name: flow.name.clone(),
        start: flow.start.clone(),
        steps,
    };
    check_reachable(&compiled)?;
    check_no_endless_path(&compiled)?;
    Ok(compiled)
}

fn compile_step(step: &StepConfig, config: &SwitchConfig) -> Result<Step, String> {
    Ok(match step {
        StepConfig::Say { prompt, next } => Step::Say {
            prompt: compile_prompt(prompt)?,
            next: next.clone(),
        },
        StepConfig::Menu {
            prompt,
            options,
            timeout_seconds,
            retries,
            no_input,
        } => {
            if options.is_empty() {
                return Err("a menu needs options".into());
            }
            let mut digits = BTreeMap::new();
            for (digit, next) in options {
                let key = single_digit(digit)
                    .ok_or_else(|| format!("option {digit:?} is not one key (0-9, *, #)"))?;
                digits.insert(key, next.clone());
            }
            Step::Menu {
                prompt: compile_prompt(prompt)?,
                options: digits,
                timeout_ms: positive_seconds(*timeout_seconds, "timeout_seconds")?,
                retries: *retries,
                no_input: no_input.clone(),
            }
        }
        StepConfig::Collect {
            prompt,
            into,
            max_digits,
            finish_on,
            timeout_seconds,
            next,
            no_input,
        } => {
            let data: app::opencti::UserData = [(into.clone(), "0".to_string())].into();
            app::opencti::validate::user_data(&data)
                .map_err(|e| format!("into {into:?}: {}", e.err_message))?;
            if !(1..=64).contains(max_digits) {
                return Err(format!("max_digits {max_digits} must be 1 to 64"));
            }
            let finish_on = match finish_on.as_str() {
                "" => None,
                key => Some(
                    single_digit(key)
                        .ok_or_else(|| format!("finish_on {key:?} is not one key (0-9, *, #)"))?,
                ),
            };
            Step::Collect {
                prompt: compile_prompt(prompt)?,
                into: into.clone(),
                max_digits: *max_digits,
                finish_on,
                timeout_ms: positive_seconds(*timeout_seconds, "timeout_seconds")?,
                next: next.clone(),
                no_input: no_input.clone().unwrap_or_else(|| next.clone()),
            }
        }
        StepConfig::Hours {
            time_zone,
            weekly,
            holidays,
            open,
            closed,
        } => Step::Hours {
            hours: compile_hours(time_zone, weekly, holidays)?,
            open: open.clone(),
            closed: closed.clone(),
        },
        StepConfig::Queue {
            queue,
            priority,
            fallback,
        } => {
            if !config.queues.iter().any(|q| &q.number == queue) {
                return Err(format!("queue {queue} is not a configured queue"));
            }
            if priority.is_some_and(|p| p > 9) {
                return Err("priority must be 0 to 9".into());
            }
            Step::Queue {
                queue: queue.clone(),
                priority: *priority,
                fallback: fallback.clone(),
            }
        }
        StepConfig::Transfer { to, fallback } => {
            let number = app::opencti::validate::destination(to).map_err(|e| e.err_message)?;
            if config.queues.iter().any(|q| q.number == number)
                || config.flows.iter().any(|f| f.number == number)
            {
                return Err(format!(
                    "transfer to {number}: use a queue step for a queue, and a step of this flow for a flow"
                ));
            }
            Step::Transfer {
                to: number,
                fallback: fallback.clone(),
            }
        }
        StepConfig::Callback {
            queue,
            next,
            fallback,
        } => {
            if !config
                .queues
                .iter()
                .any(|q| &q.number == queue && q.callbacks)
            {
                return Err(format!(
                    "queue {queue} is not a configured queue with callbacks = true"
                ));
            }
            Step::Callback {
                queue: queue.clone(),
                next: next.clone(),
                fallback: fallback.clone(),
            }
        }
        StepConfig::Hangup => Step::Hangup,
    })
}

fn single_digit(key: &str) -> Option<char> {
    let mut chars = key.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_digit() || c == '*' || c == '#' => Some(c),
        _ => None,
    }
}

fn positive_seconds(seconds: u64, name: &str) -> Result<u64, String> {
    if !(1..=600).contains(&seconds) {
        return Err(format!("{name} {seconds} must be 1 to 600"));
    }
    Ok(seconds * 1000)
}

fn compile_prompt(prompt: &PromptConfig) -> Result<Prompt, String> {
    match (&prompt.text, &prompt.wav) {
        (Some(text), None) if !text.trim().is_empty() && text.len() <= 1000 => {
            Ok(Prompt::Text(text.clone()))
        }
        (None, Some(path)) => {
            let path = PathBuf::from(path);
            if !path.is_file() {
                return Err(format!(
                    "prompt wav {} is not a readable file",
                    path.display()
                ));
            }
            Ok(Prompt::Wav(path))
        }
        (Some(_), None) => Err("prompt text must be 1 to 1000 characters".into()),
        _ => Err("a prompt has either text or wav".into()),
    }
}

fn compile_hours(time_zone: &str, weekly: &[String], holidays: &[String]) -> Result<Hours, String> {
    let tz = jiff::tz::TimeZone::get(time_zone).map_err(|_| {
        format!("time zone {time_zone:?} is not known (use an IANA name, e.g. Europe/Berlin)")
    })?;
    if weekly.is_empty() {
        return Err("weekly needs at least one span (\"mon-fri 08:00-18:00\")".into());
    }
    let spans = weekly
        .iter()
        .map(|w| parse_span(w).map_err(|e| format!("weekly {w:?}: {e}")))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    let holidays = holidays
        .iter()
        .map(|d| {
            d.parse::<Date>()
                .map_err(|_| format!("holiday {d:?} is not a date (YYYY-MM-DD)"))
        })
        .collect::<Result<_, _>>()?;
    Ok(Hours {
        tz,
        spans,
        holidays,
    })
}

/// `"mon-fri 08:00-18:00"`, `"sat,sun 10:00-14:00"`, `"wed 09:00-24:00"`.
fn parse_span(text: &str) -> Result<Vec<Span>, String> {
    let (days, times) = text
        .trim()
        .split_once(' ')
        .ok_or("write days and times, e.g. \"mon-fri 08:00-18:00\"")?;
    let (from, to) = times
        .trim()
        .split_once('-')
        .ok_or("times are HH:MM-HH:MM")?;
    let (from, to) = (minute_of_day(from)?, minute_of_day(to)?);
    if from >= to {
        return Err(format!("{} ends before it starts", times.trim()));
    }
    let mut spans = vec![];
    for part in days.split(',') {
        let (first, last) = match part.split_once('-') {
            Some((a, b)) => (weekday(a)?, weekday(b)?),
            None => (weekday(part)?, weekday(part)?),
        };
        let mut day = first;
        loop {
            spans.push(Span { day, from, to });
            if day == last {
                break;
            }
            day = day.next();
        }
    }
    Ok(spans)
}

fn minute_of_day(text: &str) -> Result<u16, String> {
    let bad = || format!("{text:?} is not a time (HH:MM, 00:00 to 24:00)");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m >= 60 || h > 24 || (h == 24 && m > 0) || text.len() != 5 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

fn weekday(text: &str) -> Result<Weekday, String> {
    Ok(match text.trim().to_ascii_lowercase().as_str() {
        "mon" => Weekday::Monday,
        "tue" => Weekday::Tuesday,
        "wed" => Weekday::Wednesday,
        "thu" => Weekday::Thursday,
        "fri" => Weekday::Friday,
        "sat" => Weekday::Saturday,
        "sun" => Weekday::Sunday,
        other => return Err(format!("{other:?} is not a day (mon, tue, … sun)")),
    })
}

fn check_reachable(flow: &Flow) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    let mut todo = vec![flow.start.as_str()];
    while let Some(name) = todo.pop() {
        if seen.insert(name) {
            todo.extend(flow.steps[name].next_steps());
        }
    }
    match flow.steps.keys().find(|k| !seen.contains(k.as_str())) {
        Some(unreachable) => Err(format!(
            "step {unreachable} is never reached from {}",
            flow.start
        )),
        None => Ok(()),
    }
}

/// From every step, the steps taken without the caller pressing anything
/// must not come back to a step already on the way.
fn check_no_endless_path(flow: &Flow) -> Result<(), String> {
    fn walk<'a>(flow: &'a Flow, name: &'a str, path: &mut Vec<&'a str>) -> Result<(), String> {
        if let Some(at) = path.iter().position(|p| *p == name) {
            let mut circle = path[at..].to_vec();
            circle.push(name);
            return Err(format!(
                "a caller who presses nothing goes round for ever: {}",
                circle.join(" → ")
            ));
        }
        path.push(name);
        for next in flow.steps[name].unattended_steps() {
            walk(flow, next, path)?;
        }
        path.pop();
        Ok(())
    }
    for name in flow.steps.keys() {
        walk(flow, name, &mut vec![])?;
    }
    Ok(())
}
