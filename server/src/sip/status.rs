//! SIP status codes and the switch's causes, both ways: a trunk's final
//! answer becomes the cause the panel shows; the switch's reason for
//! letting an unanswered caller go becomes the final answer it hears.

use app::wire::native::Cause;

/// Why an outbound call failed, from the trunk's final status.
pub fn cause_of(status: u16) -> Cause {
    match status {
        486 | 600 => Cause::Busy,
        404 | 410 | 484 | 604 => Cause::InvalidNumber,
        _ => Cause::Unavailable,
    }
}

/// The final answer to an unanswered caller the switch let go.
pub fn status_of(cause: Cause) -> (u16, &'static str) {
    match cause {
        Cause::Busy => (486, "Busy Here"),
        Cause::Rejected => (603, "Decline"),
        Cause::InvalidNumber => (404, "Not Found"),
        _ => (480, "Temporarily Unavailable"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunk_answers_become_causes_the_panel_names() {
        assert_eq!(cause_of(486), Cause::Busy);
        assert_eq!(cause_of(600), Cause::Busy);
        assert_eq!(cause_of(404), Cause::InvalidNumber);
        assert_eq!(cause_of(484), Cause::InvalidNumber);
        for status in [408, 480, 500, 503, 603] {
            assert_eq!(cause_of(status), Cause::Unavailable, "{status}");
        }
    }

    #[test]
    fn a_caller_let_go_hears_why() {
        assert_eq!(status_of(Cause::Busy).0, 486);
        assert_eq!(status_of(Cause::Rejected).0, 603);
        assert_eq!(status_of(Cause::NormalClearing).0, 480);
    }
}
