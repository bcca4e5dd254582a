//! Checks of agent input, shared by the Interface (so a bad click never
//! reaches the wire) and the switch (so a bad request never changes state).

use super::{ErrorCode, OpenCtiError, UserData};

/// Most key/value pairs `options.userData` may hold.
pub const MAX_USER_DATA_PAIRS: usize = 20;
/// Most characters (keys plus values) `options.userData` may hold.
pub const MAX_USER_DATA_CHARS: usize = 2048;
/// Longest number the switch dials.
pub const MAX_DESTINATION_DIGITS: usize = 32;
/// Longest caller ID kept for a call from outside.
pub const MAX_CALLER_ID_CHARS: usize = 64;
/// The caller ID of a caller who withholds their number (RFC 3323).
pub const ANONYMOUS_CALLER: &str = "anonymous";
/// Most DTMF digits one `sendDTMF` sends.
pub const MAX_DTMF_DIGITS: usize = 64;

/// Normalises a dialled number: drops the spaces, dashes, dots and brackets
/// people type or paste, then requires digits (`*`, `#` allowed, `+` only in
/// front). Returns the number to dial.
pub fn destination(raw: &str) -> Result<String, OpenCtiError> {
    let cleaned: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}'))
        .collect();
    let digits = cleaned.strip_prefix('+').unwrap_or(&cleaned);
    let invalid = |why: &str| {
        Err(OpenCtiError::new(
            ErrorCode::InvalidDestination,
            format!("{raw:?} is not a number that can be dialled: {why}"),
        ))
    };
    if digits.is_empty() {
        return invalid("it has no digits");
    }
    if digits.len() > MAX_DESTINATION_DIGITS {
        return invalid("it is too long");
    }
    if !digits
        .chars()
        .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
    {
        return invalid("use digits, * and #, with + only in front");
    }
    Ok(cleaned)
}

/// Normalises the caller ID of a call from outside: a telephone number as
/// [`destination`] cleans it, else any other name the network gave (a SIP
/// user such as `sipp`, or [`ANONYMOUS_CALLER`]) as received. Refused only
/// when empty, too long, or holding control characters: a customer is never
/// turned away for what their caller ID looks like.
pub fn caller_id(raw: &str) -> Result<String, OpenCtiError> {
    if let Ok(number) = destination(raw) {
        return Ok(number);
    }
    let raw = raw.trim();
    let invalid = |why: &str| {
        Err(OpenCtiError::bad_request(format!(
            "{raw:?} is not a caller ID: {why}"
        )))
    };
    if raw.is_empty() {
        return invalid("it is empty");
    }
    if raw.chars().count() > MAX_CALLER_ID_CHARS {
        return invalid("it is too long");
    }
    if raw.chars().any(char::is_control) {
        return invalid("it holds control characters");
    }
    Ok(raw.to_string())
}

/// Whether a caller ID is a number the agent could call back; otherwise the
/// panel shows "Private number" (withheld, or a name that is no number).
pub fn is_callable(caller: &str) -> bool {
    destination(caller).is_ok()
}

/// DTMF digits: `0`–`9`, `*`, `#` and `A`–`D`, at most [`MAX_DTMF_DIGITS`].
pub fn dtmf(digits: &str) -> Result<(), OpenCtiError> {
    if digits.is_empty() || digits.chars().count() > MAX_DTMF_DIGITS {
        return Err(OpenCtiError::bad_request(format!(
            "send between 1 and {MAX_DTMF_DIGITS} DTMF digits"
        )));
    }
    match digits
        .chars()
        .find(|c| !(c.is_ascii_digit() || matches!(c, '*' | '#' | 'A'..='D')))
    {
        Some(bad) => Err(OpenCtiError::bad_request(format!(
            "{bad:?} is not a DTMF digit (use 0-9, *, # and A-D)"
        ))),
        None => Ok(()),
    }
}

/// Whether `url` is an absolute `http(s)` link with a host: the only links
/// the panel puts in the agent's hands (a `javascript:` one would run in
/// the panel's origin).
pub fn web_link(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `options.userData`: at most [`MAX_USER_DATA_PAIRS`] pairs and
/// [`MAX_USER_DATA_CHARS`] characters in all, no empty keys.
pub fn user_data(data: &UserData) -> Result<(), OpenCtiError> {
    if data.len() > MAX_USER_DATA_PAIRS {
        return Err(OpenCtiError::bad_request(format!(
            "userData has {} pairs; at most {MAX_USER_DATA_PAIRS} are allowed",
            data.len()
        )));
    }
    let chars: usize = data
        .iter()
        .map(|(k, v)| k.chars().count() + v.chars().count())
        .sum();
    if chars > MAX_USER_DATA_CHARS {
        return Err(OpenCtiError::bad_request(format!(
            "userData holds {chars} characters; at most {MAX_USER_DATA_CHARS} are allowed"
        )));
    }
    if data.keys().any(|k| k.trim().is_empty()) {
        return Err(OpenCtiError::bad_request("userData keys must not be empty"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_caller_id_is_kept_and_numbers_are_cleaned() {
        assert_eq!(caller_id("+1 555 123-0001").unwrap(), "+15551230001");
        assert_eq!(caller_id("sipp").unwrap(), "sipp");
        assert_eq!(caller_id(" anonymous ").unwrap(), ANONYMOUS_CALLER);
        assert_eq!(caller_id("Jane Doe").unwrap(), "Jane Doe");
        for bad in ["", "  ", "a\u{0}b", "line\nbreak"] {
            assert!(caller_id(bad).is_err(), "{bad:?}");
        }
        assert!(caller_id(&"x".repeat(MAX_CALLER_ID_CHARS + 1)).is_err());
        assert!(is_callable("+15551230001"));
        assert!(!is_callable("anonymous") && !is_callable("sipp"));
    }

    #[test]
    fn destinations_are_cleaned_and_checked() {
        assert_eq!(destination(" +1 (555) 123-0001 ").unwrap(), "+15551230001");
        assert_eq!(destination("2002").unwrap(), "2002");
        assert_eq!(destination("*72#").unwrap(), "*72#");
        for bad in ["", "+", "abc", "12+3", &"9".repeat(33)] {
            assert_eq!(
                destination(bad).unwrap_err().err_code,
                ErrorCode::InvalidDestination,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn dtmf_digits() {
        assert!(dtmf("0123456789*#ABCD").is_ok());
        assert!(dtmf("").is_err());
        assert!(dtmf("12x").is_err());
        assert!(dtmf(&"1".repeat(65)).is_err());
    }

    #[test]
    fn user_data_bounds() {
        let pairs = |n: usize| {
            (0..n)
                .map(|i| (format!("k{i}"), "v".to_string()))
                .collect::<UserData>()
        };
        assert!(user_data(&pairs(20)).is_ok());
        assert_eq!(
            user_data(&pairs(21)).unwrap_err().err_code,
            ErrorCode::BadRequest
        );
        let big: UserData = [("note".to_string(), "x".repeat(2044))].into();
        assert!(user_data(&big).is_ok());
        let too_big: UserData = [("note".to_string(), "x".repeat(2045))].into();
        assert!(user_data(&too_big).is_err());
    }
}
