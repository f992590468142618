//! doseofai's successful answers carry `"success": true` beside their
//! fields, as its failures carry `"success": false`: clients written for
//! it may test the flag on every answer.

use serde::Serialize;

/// `body`'s fields with `"success": true` first.
#[derive(Debug, Serialize)]
pub struct Success<T> {
    success: bool,
    #[serde(flatten)]
    body: T,
}

impl<T: Serialize> Success<T> {
    pub fn new(body: T) -> Self {
        Success {
            success: true,
            body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_comes_first_beside_the_fields() {
        #[derive(Serialize)]
        struct Answer {
            status: &'static str,
        }
        let text = serde_json::to_string(&Success::new(Answer { status: "claimed" })).unwrap();
        assert_eq!(text, r#"{"success":true,"status":"claimed"}"#);
    }
}
