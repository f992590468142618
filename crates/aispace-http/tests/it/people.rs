//! People on the site: signing up, in and out with a session cookie,
//! CSRF on every form, throttled sign-ins, the owner page, and claiming a
//! self-registered agent with its verification code.

use serde_json::json;

use crate::app::{Answer, TestApp};

pub(crate) const PASSWORD: &str = "correct horse battery staple";

pub(crate) fn html(answer: &Answer) -> String {
    String::from_utf8(answer.raw.to_vec()).unwrap()
}

pub(crate) fn header<'a>(answer: &'a Answer, name: &str) -> &'a str {
    answer
        .headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header ({})", answer.status))
        .to_str()
        .unwrap()
}

fn set_cookies(answer: &Answer) -> Vec<String> {
    answer
        .headers
        .get_all("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// The `Set-Cookie` line for `name`, if the answer sets it.
pub(crate) fn set_cookie(answer: &Answer, name: &str) -> Option<String> {
    set_cookies(answer)
        .into_iter()
        .find(|c| c.starts_with(&format!("{name}=")))
}

pub(crate) fn cookie_value(line: &str) -> String {
    let (_, rest) = line.split_once('=').unwrap();
    rest.split(';').next().unwrap().to_owned()
}

/// The value of the hidden field `name` in a page's form.
pub(crate) fn hidden_field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field in {page}"))
        + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

/// One request without following redirects (the app's client follows
/// them, and these tests look at the redirects themselves).
pub(crate) async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    cookies: &str,
    key: Option<&str>,
    body: Option<Vec<u8>>,
) -> Answer {
    let client = awc::Client::builder().disable_redirects().finish();
    let method = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = client
        .request(method, app.url(path))
        .timeout(std::time::Duration::from_secs(30));
    if !cookies.is_empty() {
        req = req.insert_header(("Cookie", cookies));
    }
    if let Some(key) = key {
        req = req.insert_header(("Authorization", format!("Bearer {key}")));
    }
    let mut resp = match body {
        Some(body) => req
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
            .send_body(body)
            .await
            .unwrap(),
        None => req.send().await.unwrap(),
    };
    let raw = resp.body().await.unwrap();
    Answer {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        body: serde_json::from_slice(&raw).unwrap_or(serde_json::Value::Null),
        raw,
    }
}

pub(crate) async fn get(app: &TestApp, path: &str, cookies: &str) -> Answer {
    send(app, "GET", path, cookies, None, None).await
}

pub(crate) async fn post(
    app: &TestApp,
    path: &str,
    cookies: &str,
    pairs: &[(&str, &str)],
) -> Answer {
    send(
        app,
        "POST",
        path,
        cookies,
        None,
        Some(aispace_testkit::http::form_body(pairs)),
    )
    .await
}

/// Opens a pre-sign-in form (`/signup` or `/signin`) and returns its
/// double-submit cookie's value and the form's token.
async fn open_form(app: &TestApp, path: &str) -> (String, String) {
    let answer = get(app, path, "").await;
    assert_eq!(answer.status, 200, "{path}");
    let cookie = cookie_value(&set_cookie(&answer, "aispace_csrf").unwrap());
    (cookie, hidden_field(&html(&answer), "csrf"))
}

/// Signs `username` up; returns the sign-up answer.
async fn sign_up_answer(app: &TestApp, username: &str) -> Answer {
    let (cookie, csrf) = open_form(app, "/signup").await;
    post(
        app,
        "/signup",
        &format!("aispace_csrf={cookie}"),
        &[
            ("username", username),
            ("display_name", "Ada L."),
            ("password", PASSWORD),
            ("csrf", &csrf),
        ],
    )
    .await
}

/// Signs `username` up and returns the session cookie (`name=value`).
pub(crate) async fn signed_up(app: &TestApp, username: &str) -> String {
    let answer = sign_up_answer(app, username).await;
    assert_eq!(answer.status, 303, "{}", html(&answer));
    format!(
        "aispace_session={}",
        cookie_value(&set_cookie(&answer, "aispace_session").unwrap())
    )
}

async fn sign_in_answer(app: &TestApp, username: &str, password: &str, extra: &str) -> Answer {
    let (cookie, csrf) = open_form(app, "/signin").await;
    post(
        app,
        "/signin",
        &format!("aispace_csrf={cookie}{extra}"),
        &[
            ("username", username),
            ("password", password),
            ("csrf", &csrf),
        ],
    )
    .await
}

/// The CSRF token of the signed-in person's forms (from the owner page).
pub(crate) async fn session_csrf(app: &TestApp, session: &str) -> String {
    let owner = get(app, "/owner", session).await;
    assert_eq!(owner.status, 200);
    hidden_field(&html(&owner), "csrf")
}

/// A self-registered agent: its key, claim path and verification code.
pub(crate) struct Pending {
    pub(crate) key: String,
    pub(crate) claim_path: String,
    pub(crate) code: String,
}

pub(crate) async fn registered(app: &TestApp, name: &str) -> Pending {
    let answer = app
        .send(
            "POST",
            "/api/agents/register",
            None,
            &[],
            Some("application/json"),
            json!({ "name": name }).to_string().into_bytes(),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let agent = &answer.body["agent"];
    let url = agent["claim_url"].as_str().unwrap();
    Pending {
        key: agent["api_key"].as_str().unwrap().to_owned(),
        claim_path: format!("/claim/{}", url.rsplit('/').next().unwrap()),
        code: agent["verification_code"].as_str().unwrap().to_owned(),
    }
}

pub(crate) async fn claim_status(app: &TestApp, key: &str) -> String {
    let answer = app
        .send("GET", "/api/agents/status", Some(key), &[], None, vec![])
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["status"].as_str().unwrap().to_owned()
}

async fn post_code(app: &TestApp, session: &str, pending: &Pending, code: &str) -> Answer {
    let csrf = session_csrf(app, session).await;
    post(
        app,
        &pending.claim_path,
        session,
        &[("code", code), ("csrf", &csrf)],
    )
    .await
}

#[actix_web::test]
async fn signing_up_sets_an_http_only_session_cookie_and_the_owner_page_shows_the_person() {
    let app = TestApp::spawn().await;
    let answer = sign_up_answer(&app, "ada").await;
    assert_eq!(answer.status, 303, "{}", html(&answer));
    assert_eq!(header(&answer, "location"), "/owner");
    let line = set_cookie(&answer, "aispace_session").unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=", "Secure"] {
        assert!(line.contains(attribute), "{line}");
    }
    let session = format!("aispace_session={}", cookie_value(&line));
    let owner = get(&app, "/owner", &session).await;
    assert_eq!(owner.status, 200);
    let page = html(&owner);
    assert!(page.contains("Ada L."), "{page}");
    assert!(page.contains("@ada"), "{page}");
    assert!(!page.contains(PASSWORD));
}

#[actix_web::test]
async fn a_taken_username_or_a_short_password_shows_the_form_again_without_the_password() {
    let app = TestApp::spawn().await;
    signed_up(&app, "ada").await;
    let taken = sign_up_answer(&app, "ada").await;
    assert_eq!(taken.status, 409);
    assert!(html(&taken).contains("taken"));
    assert!(!html(&taken).contains(PASSWORD));
    let (cookie, csrf) = open_form(&app, "/signup").await;
    let short = post(
        &app,
        "/signup",
        &format!("aispace_csrf={cookie}"),
        &[("username", "bob"), ("password", "x1"), ("csrf", &csrf)],
    )
    .await;
    assert_eq!(short.status, 400);
    assert!(html(&short).contains("password"), "{}", html(&short));
    assert!(html(&short).contains("value=\"bob\""));
}

#[actix_web::test]
async fn signing_out_ends_the_session_and_the_owner_page_then_redirects_to_sign_in() {
    let app = TestApp::spawn().await;
    let session = signed_up(&app, "ada").await;
    let csrf = session_csrf(&app, &session).await;
    let out = post(&app, "/signout", &session, &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    let expired = set_cookie(&out, "aispace_session").unwrap();
    assert!(expired.contains("Max-Age=0"), "{expired}");
    // The old cookie is worth nothing now, even if a browser kept it.
    let owner = get(&app, "/owner", &session).await;
    assert_eq!(owner.status, 303);
    assert_eq!(header(&owner, "location"), "/signin?next=/owner");
    let anonymous = get(&app, "/owner", "").await;
    assert_eq!(anonymous.status, 303);
}

#[actix_web::test]
async fn signing_in_opens_a_new_session_and_never_adopts_a_planted_one() {
    let app = TestApp::spawn().await;
    let first = signed_up(&app, "ada").await;
    let planted =
        "aispace_session=0000000000000000000000000000000000000000000000000000000000000000";
    let answer = sign_in_answer(&app, "ada", PASSWORD, &format!("; {planted}")).await;
    assert_eq!(answer.status, 303, "{}", html(&answer));
    let fresh = format!(
        "aispace_session={}",
        cookie_value(&set_cookie(&answer, "aispace_session").unwrap())
    );
    assert_ne!(fresh, planted);
    assert_ne!(fresh, first);
    assert_eq!(get(&app, "/owner", &fresh).await.status, 200);
    assert_eq!(get(&app, "/owner", planted).await.status, 303);
}

#[actix_web::test]
async fn a_wrong_password_shows_the_form_again_with_401() {
    let app = TestApp::spawn().await;
    signed_up(&app, "ada").await;
    let answer = sign_in_answer(&app, "ada", "not the password", "").await;
    assert_eq!(answer.status, 401);
    let page = html(&answer);
    assert!(page.contains("Wrong username or password"), "{page}");
    assert!(!page.contains("not the password"));
    assert!(set_cookie(&answer, "aispace_session").is_none());
}

#[actix_web::test]
async fn forms_without_the_csrf_token_or_with_another_sessions_token_are_refused_and_change_nothing()
 {
    let app = TestApp::spawn().await;
    // Sign-up without the double-submit field, and with a field that is
    // not the cookie's: refused, and no account is made.
    let (cookie, csrf) = open_form(&app, "/signup").await;
    let fields = [("username", "mallory"), ("password", PASSWORD)];
    let missing = post(&app, "/signup", &format!("aispace_csrf={cookie}"), &fields).await;
    assert_eq!(missing.status, 403);
    let mismatched = post(
        &app,
        "/signup",
        "aispace_csrf=ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        &[fields[0], fields[1], ("csrf", &csrf)],
    )
    .await;
    assert_eq!(mismatched.status, 403);
    assert_eq!(
        sign_in_answer(&app, "mallory", PASSWORD, "").await.status,
        401
    );

    // Signed-in forms: another session's token does not sign ada out or
    // claim her agent.
    let ada = signed_up(&app, "ada").await;
    let eve = signed_up(&app, "eve").await;
    let eves_token = session_csrf(&app, &eve).await;
    let no_field = post(&app, "/signout", &ada, &[]).await;
    assert_eq!(no_field.status, 403);
    let foreign = post(&app, "/signout", &ada, &[("csrf", &eves_token)]).await;
    assert_eq!(foreign.status, 403);
    assert!(set_cookie(&foreign, "aispace_session").is_none());
    assert_eq!(get(&app, "/owner", &ada).await.status, 200);

    let pending = registered(&app, "Claimable Bot").await;
    let claim = post(
        &app,
        &pending.claim_path,
        &ada,
        &[("code", &pending.code), ("csrf", &eves_token)],
    )
    .await;
    assert_eq!(claim.status, 403);
    assert_eq!(claim_status(&app, &pending.key).await, "pending_claim");
}

#[actix_web::test]
async fn after_five_wrong_passwords_the_sixth_sign_in_is_429_even_with_the_right_password() {
    let app = TestApp::spawn().await;
    signed_up(&app, "ada").await;
    for _ in 0..5 {
        assert_eq!(
            sign_in_answer(&app, "ada", "wrong password!", "")
                .await
                .status,
            401
        );
    }
    let answer = sign_in_answer(&app, "ada", PASSWORD, "").await;
    assert_eq!(answer.status, 429);
    assert!(header(&answer, "retry-after").parse::<u64>().unwrap() > 0);
    assert!(set_cookie(&answer, "aispace_session").is_none());
}

#[actix_web::test]
async fn claiming_with_the_verification_code_makes_the_agent_claimed_after_a_wrong_code_leaves_four_tries()
 {
    let app = TestApp::spawn().await;
    let pending = registered(&app, "Claimable Bot").await;
    let session = signed_up(&app, "ada").await;
    let page = get(&app, &pending.claim_path, &session).await;
    assert_eq!(page.status, 200);
    assert!(html(&page).contains("Claimable Bot"));
    assert!(html(&page).contains("name=\"code\""));

    let wrong = post_code(&app, &session, &pending, "WRONG-0000").await;
    assert_eq!(wrong.status, 400);
    assert!(html(&wrong).contains("4 tries left"), "{}", html(&wrong));

    let right = post_code(&app, &session, &pending, &pending.code).await;
    assert_eq!(right.status, 303, "{}", html(&right));
    assert_eq!(header(&right, "location"), "/owner");
    assert_eq!(claim_status(&app, &pending.key).await, "claimed");
    let owner = html(&get(&app, "/owner", &session).await);
    assert!(owner.contains("Claimable Bot"), "{owner}");
    assert!(owner.contains("Karma 0"), "{owner}");
    // A claimed agent's claim URL is gone.
    assert_eq!(get(&app, &pending.claim_path, &session).await.status, 404);
}

#[actix_web::test]
async fn five_wrong_codes_lock_the_claim_even_for_the_right_code() {
    let app = TestApp::spawn().await;
    let pending = registered(&app, "Claimable Bot").await;
    let session = signed_up(&app, "ada").await;
    for _ in 0..4 {
        assert_eq!(
            post_code(&app, &session, &pending, "WRONG-0000")
                .await
                .status,
            400
        );
    }
    assert_eq!(
        post_code(&app, &session, &pending, "WRONG-0000")
            .await
            .status,
        429
    );
    let right = post_code(&app, &session, &pending, &pending.code).await;
    assert_eq!(right.status, 429);
    assert!(html(&right).contains("Try again in"));
    assert!(header(&right, "retry-after").parse::<u64>().unwrap() > 0);
    assert_eq!(claim_status(&app, &pending.key).await, "pending_claim");
}

#[actix_web::test]
async fn a_signed_out_claim_page_leads_through_sign_in_and_back() {
    let app = TestApp::spawn().await;
    let pending = registered(&app, "Claimable Bot").await;
    signed_up(&app, "ada").await;
    let page = html(&get(&app, &pending.claim_path, "").await);
    let next = format!("/signin?next={}", pending.claim_path);
    assert!(page.contains(&next), "{page}");
    assert!(!page.contains("name=\"code\""));

    let form = get(&app, &next, "").await;
    assert_eq!(hidden_field(&html(&form), "next"), pending.claim_path);
    let cookie = cookie_value(&set_cookie(&form, "aispace_csrf").unwrap());
    let csrf = hidden_field(&html(&form), "csrf");
    let answer = post(
        &app,
        "/signin",
        &format!("aispace_csrf={cookie}"),
        &[
            ("username", "ada"),
            ("password", PASSWORD),
            ("csrf", &csrf),
            ("next", &pending.claim_path),
        ],
    )
    .await;
    assert_eq!(answer.status, 303);
    assert_eq!(header(&answer, "location"), pending.claim_path);
}

#[actix_web::test]
async fn a_next_that_leaves_the_site_is_ignored() {
    let app = TestApp::spawn().await;
    signed_up(&app, "ada").await;
    for next in [
        "//evil.example/x",
        "https://evil.example",
        "/\\evil.example",
    ] {
        let (cookie, csrf) = open_form(&app, "/signin").await;
        let answer = post(
            &app,
            "/signin",
            &format!("aispace_csrf={cookie}"),
            &[
                ("username", "ada"),
                ("password", PASSWORD),
                ("csrf", &csrf),
                ("next", next),
            ],
        )
        .await;
        assert_eq!(answer.status, 303);
        assert_eq!(header(&answer, "location"), "/owner", "{next}");
    }
}

#[actix_web::test]
async fn an_unknown_claim_token_is_a_404_page() {
    let app = TestApp::spawn().await;
    let session = signed_up(&app, "ada").await;
    let token = "ab".repeat(32);
    let answer = get(&app, &format!("/claim/{token}"), &session).await;
    assert_eq!(answer.status, 404);
    assert!(header(&answer, "content-type").starts_with("text/html"));
    let csrf = session_csrf(&app, &session).await;
    let posted = post(
        &app,
        &format!("/claim/{token}"),
        &session,
        &[("code", "X"), ("csrf", &csrf)],
    )
    .await;
    assert_eq!(posted.status, 404);
}

#[actix_web::test]
async fn pages_with_forms_may_post_only_to_this_site_and_other_pages_nowhere() {
    let app = TestApp::spawn().await;
    let session = signed_up(&app, "ada").await;
    let pending = registered(&app, "Claimable Bot").await;
    for (path, cookies) in [
        ("/signup", ""),
        ("/signin", ""),
        ("/owner", session.as_str()),
        (pending.claim_path.as_str(), session.as_str()),
    ] {
        let answer = get(&app, path, cookies).await;
        assert_eq!(answer.status, 200, "{path}");
        let csp = header(&answer, "content-security-policy");
        assert!(csp.contains("form-action 'self'"), "{path}: {csp}");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
    }
    let home = get(&app, "/", "").await;
    let csp = header(&home, "content-security-policy");
    assert!(csp.contains("form-action 'none'"), "{csp}");
}

#[actix_web::test]
async fn the_double_submit_cookie_is_http_only_and_strict() {
    let app = TestApp::spawn().await;
    let answer = get(&app, "/signin", "").await;
    let line = set_cookie(&answer, "aispace_csrf").unwrap();
    assert!(line.contains("HttpOnly"), "{line}");
    assert!(line.contains("SameSite=Strict"), "{line}");
    assert_eq!(
        cookie_value(&line),
        hidden_field(&html(&answer), "csrf"),
        "the form carries the cookie's token"
    );
}

#[actix_web::test]
async fn an_oversized_or_unreadable_form_is_a_400_page_and_makes_no_account() {
    let app = TestApp::spawn().await;
    let (cookie, csrf) = open_form(&app, "/signup").await;
    let long = "a".repeat(16 * 1024);
    let answer = post(
        &app,
        "/signup",
        &format!("aispace_csrf={cookie}"),
        &[("username", "ada"), ("password", &long), ("csrf", &csrf)],
    )
    .await;
    assert!(
        [400, 413].contains(&answer.status),
        "{}: {}",
        answer.status,
        html(&answer)
    );
    assert!(html(&answer).contains("form"), "{}", html(&answer));
    // No account was made: the name is still free.
    assert_eq!(sign_up_answer(&app, "ada").await.status, 303);
}

#[actix_web::test]
async fn a_closed_sign_up_shows_no_form_and_accepts_no_account() {
    let mut settings = aispace_domain::service::Settings::default();
    settings.registration.owner_signup = false;
    let app = TestApp::spawn_with(settings).await;
    let page = get(&app, "/signup", "").await;
    assert_eq!(page.status, 403);
    let text = html(&page);
    assert!(text.contains("sign-up is closed"), "{text}");
    assert!(!text.contains("name=\"password\""), "{text}");
    // Signing in still works for accounts the operator made.
    app.aispace.create_owner("ada", None, PASSWORD).unwrap();
    let answer = sign_in_answer(&app, "ada", PASSWORD, "").await;
    assert_eq!(answer.status, 303);
}
