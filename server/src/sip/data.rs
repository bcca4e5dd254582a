//! A trunk call's attached data, from its INVITE's headers: each `X-Name:
//! value` header gives `Name = value`, and a `User-to-User` header (RFC
//! 7433) gives `UUI`, hex-decoded when it says `encoding=hex`. Invalid or
//! excess data is left out (the call is not refused for it).

use app::opencti::{UserData, validate};
use sipx_sip::Request;

/// The key of a User-to-User header's payload.
pub const UUI_KEY: &str = "UUI";

pub fn attached_data(request: &Request) -> UserData {
    let mut data = UserData::new();
    for header in request.headers.iter() {
        let name = String::from_utf8_lossy(header.name().canonical()).to_string();
        let value = String::from_utf8_lossy(&header.value()).trim().to_string();
        if let Some(key) = name
            .strip_prefix("X-")
            .or_else(|| name.strip_prefix("x-"))
            .filter(|k| !k.is_empty())
        {
            data.insert(key.to_string(), value);
        } else if name.eq_ignore_ascii_case("User-to-User") {
            data.insert(UUI_KEY.to_string(), user_to_user(&value));
        }
    }
    if validate::user_data(&data).is_err() {
        tracing::info!("an INVITE's attached data is invalid or too large: left out");
        return UserData::new();
    }
    data
}

/// The payload of a User-to-User value: `payload;encoding=hex` is
/// decoded (when it is text), anything else is kept as sent.
fn user_to_user(value: &str) -> String {
    let mut parts = value.split(';');
    let payload = parts.next().unwrap_or_default().trim();
    let hex = parts.any(|p| p.trim().eq_ignore_ascii_case("encoding=hex"));
    if hex
        && payload.is_ascii()
        && payload.len().is_multiple_of(2)
        && let Some(bytes) = (0..payload.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&payload[i..i + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()
        && let Ok(text) = String::from_utf8(bytes)
    {
        return text;
    }
    payload.to_string()
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use sipx_sip::{Limits, Message, parse_datagram};

    use super::*;

    fn invite(headers: &str) -> Request {
        let text = format!(
            "INVITE sip:7001@ccp SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n\
             From: <sip:+15551230001@carrier>;tag=a\r\nTo: <sip:7001@ccp>\r\n\
             Call-ID: x1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n{headers}Content-Length: 0\r\n\r\n"
        );
        match parse_datagram(Bytes::from(text), &Limits::datagram()) {
            Ok(Message::Request(r)) => r,
            other => panic!("not a request: {other:?}"),
        }
    }

    #[test]
    fn x_headers_and_user_to_user_become_data() {
        let request = invite(
            "X-AccountId: 12345\r\nX-Language: es\r\n\
             User-to-User: 6f726465723d3432;encoding=hex;purpose=call\r\n",
        );
        let data = attached_data(&request);
        assert_eq!(data.get("AccountId").map(String::as_str), Some("12345"));
        assert_eq!(data.get("Language").map(String::as_str), Some("es"));
        assert_eq!(data.get(UUI_KEY).map(String::as_str), Some("order=42"));
    }

    #[test]
    fn a_user_to_user_payload_that_is_not_hex_is_kept_as_sent() {
        let data = attached_data(&invite("User-to-User: ééé;encoding=hex\r\n"));
        assert_eq!(data.get(UUI_KEY).map(String::as_str), Some("ééé"));
    }

    #[test]
    fn plain_user_to_user_is_kept_and_other_headers_are_not_data() {
        let data = attached_data(&invite("User-to-User: abc\r\nSubject: hi\r\n"));
        assert_eq!(data.len(), 1);
        assert_eq!(data.get(UUI_KEY).map(String::as_str), Some("abc"));
    }

    #[test]
    fn too_much_data_is_left_out_and_the_call_goes_on() {
        let many: String = (0..100).map(|i| format!("X-K{i}: v\r\n")).collect();
        assert!(attached_data(&invite(&many)).is_empty());
    }
}
