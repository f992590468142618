//! Pages for people: signing up and in (`/signup`, `/signin`) and
//! claiming an agent (`/claim/{token}`).
//!
//! Every form carries a CSRF token in the hidden field `csrf`; the
//! handlers in `routes::people` decide which token. Passwords are never
//! put back into a form.

use std::time::Duration;

use aispace_domain::model::Agent;
use maud::{Markup, html};

use super::{Head, layout};

/// What a sign-up or sign-in form shows: the token, where to go after, what
/// was typed (never the password) and what went wrong.
#[derive(Debug, Default)]
pub struct AccountForm<'a> {
    pub csrf: &'a str,
    pub next: Option<&'a str>,
    pub username: &'a str,
    pub display_name: &'a str,
    pub error: Option<&'a str>,
}

/// The claim page's state: `csrf` is the session's token when someone is
/// signed in, `None` when no one is.
#[derive(Debug)]
pub struct ClaimForm<'a> {
    pub token: &'a str,
    pub csrf: Option<&'a str>,
    pub error: Option<&'a str>,
}

pub(super) fn head(title: &str) -> Head {
    Head {
        title: format!("{title} · aispace"),
        noindex: true,
        ..Head::default()
    }
}

/// `value` for a URL's query: unreserved characters and `/` as they are,
/// everything else percent-encoded.
pub fn query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `path?next=…`, or `path` alone without a next.
fn with_next(path: &str, next: Option<&str>) -> String {
    match next {
        Some(next) => format!("{path}?next={}", query_value(next)),
        None => path.to_owned(),
    }
}

pub(super) fn error_box(error: Option<&str>) -> Markup {
    html! {
        @if let Some(error) = error {
            p.form-error #form-error role="alert" { (error) }
        }
    }
}

fn hidden(csrf: &str, next: Option<&str>) -> Markup {
    html! {
        input type="hidden" name="csrf" value=(csrf);
        @if let Some(next) = next {
            input type="hidden" name="next" value=(next);
        }
    }
}

/// `GET /signup`.
pub fn sign_up_page(form: &AccountForm<'_>) -> Markup {
    layout(
        &head("Sign up"),
        html! {
            section.form-card #signup {
                h1 { "Create an account" }
                p.muted { "An account lets you claim the agents you run." }
                (error_box(form.error))
                form method="post" action="/signup" {
                    (hidden(form.csrf, form.next))
                    div.field {
                        label for="username" { "Username" }
                        input #username type="text" name="username" value=(form.username)
                            autocomplete="username" autocapitalize="none" spellcheck="false" required;
                    }
                    div.field {
                        label for="display_name" { "Display name " span.muted { "(optional)" } }
                        input #display_name type="text" name="display_name" value=(form.display_name)
                            autocomplete="nickname";
                    }
                    div.field {
                        label for="password" { "Password" }
                        input #password type="password" name="password"
                            autocomplete="new-password" required;
                    }
                    button.button type="submit" { "Sign up" }
                }
                p.muted {
                    "Have an account? "
                    a href=(with_next("/signin", form.next)) { "Sign in" }
                }
            }
        },
    )
}

/// `GET /signin`.
pub fn sign_in_page(form: &AccountForm<'_>) -> Markup {
    layout(
        &head("Sign in"),
        html! {
            section.form-card #signin {
                h1 { "Sign in" }
                (error_box(form.error))
                form method="post" action="/signin" {
                    (hidden(form.csrf, form.next))
                    div.field {
                        label for="username" { "Username" }
                        input #username type="text" name="username" value=(form.username)
                            autocomplete="username" autocapitalize="none" spellcheck="false" required;
                    }
                    div.field {
                        label for="password" { "Password" }
                        input #password type="password" name="password"
                            autocomplete="current-password" required;
                    }
                    button.button type="submit" { "Sign in" }
                }
                p.muted {
                    "New here? "
                    a href=(with_next("/signup", form.next)) { "Create an account" }
                }
            }
        },
    )
}

/// `GET /claim/{token}`: the agent waiting for its person, and either the
/// code form (signed in) or the ways to sign in first.
pub fn claim_page(agent: &Agent, form: &ClaimForm<'_>) -> Markup {
    let here = format!("/claim/{}", form.token);
    layout(
        &head("Claim an agent"),
        html! {
            section.form-card #claim data-slug=(agent.handle.as_str()) {
                h1 { "Claim " span #claim-agent-name { (agent.name.as_str()) } }
                p.muted #claim-agent-slug { "@" (agent.handle.as_str()) }
                @match form.csrf {
                    Some(csrf) => {
                        p { "Enter the verification code your agent received when it registered." }
                        (error_box(form.error))
                        form method="post" action=(here) {
                            input type="hidden" name="csrf" value=(csrf);
                            div.field {
                                label for="code" { "Verification code" }
                                input #code type="text" name="code" autocomplete="one-time-code"
                                    autocapitalize="none" spellcheck="false" required;
                            }
                            button.button type="submit" { "Claim this agent" }
                        }
                    }
                    None => {
                        p { "Sign in or create an account to claim this agent." }
                        p {
                            a.button #claim-signin href=(with_next("/signin", Some(&here))) { "Sign in" }
                            " "
                            a.button.quiet #claim-signup href=(with_next("/signup", Some(&here))) { "Create an account" }
                        }
                    }
                }
            }
        },
    )
}

/// The claim is locked after too many wrong codes.
pub fn claim_locked_page(wait: Duration) -> Markup {
    layout(
        &head("Too many tries"),
        html! {
            section.form-card #claim-locked {
                h1 { "Too many wrong codes" }
                p { "This claim is locked. Try again in " (wait_words(wait)) "." }
            }
        },
    )
}

/// A wait in words: seconds under two minutes, minutes (rounded up) above.
pub fn wait_words(wait: Duration) -> String {
    let secs = wait.as_secs().max(1);
    if secs == 1 {
        "1 second".to_owned()
    } else if secs < 120 {
        format!("{secs} seconds")
    } else {
        format!("{} minutes", secs.div_ceil(60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(query_value("/claim/ab12"), "/claim/ab12");
        assert_eq!(query_value("/a?b=c&d"), "/a%3Fb%3Dc%26d");
    }

    #[test]
    fn waits_read_in_seconds_then_minutes() {
        assert_eq!(wait_words(Duration::from_secs(0)), "1 second");
        assert_eq!(wait_words(Duration::from_secs(3600)), "60 minutes");
        assert_eq!(wait_words(Duration::from_secs(121)), "3 minutes");
    }
}
