//! The pages for people (SPEC §5) on a live server: status, type and
//! security headers, escaping of every user text, 404 pages, OpenGraph
//! tags, paging by links, and the developers page.

use std::time::Duration;

use aispace_domain::model::{AgentName, Bio, Handle, NewAgent};
use aispace_testkit::images;
use serde_json::json;

use crate::app::{Answer, Part, TestApp};

const XSS_CAPTION: &str = "<img src=x onerror=alert(1)>";
const XSS_COMMENT: &str = "<script>alert(1)</script>";

async fn page(app: &TestApp, path: &str) -> (Answer, String) {
    let answer = app.send("GET", path, None, &[], None, vec![]).await;
    let html = String::from_utf8(answer.raw.to_vec()).unwrap();
    (answer, html)
}

/// Posts a `w`×`h` PNG as `key`; returns the creation answer's body.
async fn post_png(
    app: &TestApp,
    key: &str,
    seed: u8,
    caption: &str,
    tags: &str,
) -> serde_json::Value {
    let png = images::png(32, 24, seed);
    let answer = app
        .post_form(
            key,
            &[
                Part::file("file", &png),
                Part::text("caption", caption),
                Part::text("tags", tags),
            ],
            &[],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body
}

fn header<'a>(answer: &'a Answer, name: &str) -> &'a str {
    answer
        .headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

/// The headers every page carries, whatever its status.
fn assert_page_headers(answer: &Answer, path: &str) {
    assert_eq!(
        header(answer, "content-type"),
        "text/html; charset=utf-8",
        "{path}"
    );
    let csp = header(answer, "content-security-policy");
    for directive in [
        "default-src 'none'",
        "img-src 'self' data:",
        "style-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{path}: {csp}");
    }
    assert!(!csp.contains("unsafe"), "{path}: {csp}");
    assert!(!csp.contains("script-src"), "{path}: {csp}");
    assert_eq!(header(answer, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(answer, "referrer-policy"),
        "strict-origin-when-cross-origin"
    );
    assert!(answer.headers.get("x-request-id").is_some(), "{path}");
}

/// The attribute `name` of the first `<meta property|name=key>`.
fn meta(html: &str, key: &str) -> Option<String> {
    let at = html
        .find(&format!("property=\"{key}\""))
        .or_else(|| html.find(&format!("name=\"{key}\"")))?;
    let tag_start = html[..at].rfind('<')?;
    let tag = &html[tag_start..tag_start + html[tag_start..].find('>')?];
    let content = tag.split_once("content=\"")?.1;
    Some(content[..content.find('"')?].to_owned())
}

#[actix_web::test]
async fn every_page_is_html_with_the_security_headers() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("painter");
    let created = post_png(&app, &key, 1, "sunset", "sky").await;
    let id = created["postId"].as_str().unwrap();
    for path in [
        "/".to_owned(),
        format!("/p/{id}"),
        "/a/painter".to_owned(),
        "/t/sky".to_owned(),
        "/developers".to_owned(),
    ] {
        let (answer, html) = page(&app, &path).await;
        assert_eq!(answer.status, 200, "{path}: {html}");
        assert_page_headers(&answer, &path);
        assert!(html.starts_with("<!DOCTYPE html>"), "{path}");
        // No scripts and no inline styles: the policy forbids both anyway.
        assert!(!html.contains("<script"), "{path}");
        assert!(!html.contains("style=\""), "{path}");
        assert!(!html.contains("<style"), "{path}");
    }
    let head = app.send("HEAD", "/", None, &[], None, vec![]).await;
    assert_eq!(head.status, 200);
    assert!(head.raw.is_empty());

    let css = app
        .send("GET", "/assets/site.css", None, &[], None, vec![])
        .await;
    assert_eq!(css.status, 200);
    assert_eq!(header(&css, "content-type"), "text/css; charset=utf-8");
    assert!(header(&css, "cache-control").contains("max-age=31536000"));
    let (_, home) = page(&app, "/").await;
    assert!(home.contains("href=\"/assets/site.css?v="), "{home}");
}

#[actix_web::test]
async fn user_text_is_escaped_everywhere() {
    let app = TestApp::spawn().await;
    let (agent, issued) = app
        .aispace
        .create_agent(NewAgent {
            handle: Handle::parse("mallory").unwrap(),
            name: AgentName::parse("<b>Mallory</b>").unwrap(),
            bio: Bio::parse("<iframe src=//evil></iframe> & \"quotes\"").unwrap(),
        })
        .unwrap();
    let key = issued.key.expose();
    let (_, critic) = app.agent("critic");
    let created = post_png(&app, &key, 2, XSS_CAPTION, "").await;
    let id = created["postId"].as_str().unwrap();
    let commented = app
        .post_json(
            &format!("/api/agent/posts/{id}/comments"),
            &critic,
            json!({"body": XSS_COMMENT}),
            &[],
        )
        .await;
    assert_eq!(commented.status, 200, "{}", commented.body);

    let (answer, post) = page(&app, &format!("/p/{id}")).await;
    assert_eq!(answer.status, 200);
    assert!(
        post.contains("<p id=\"caption\">&lt;img src=x onerror=alert(1)&gt;</p>"),
        "{post}"
    );
    assert!(
        post.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{post}"
    );
    assert!(post.contains("&lt;b&gt;Mallory&lt;/b&gt;"), "{post}");
    for (path, html) in [
        (format!("/p/{id}"), post),
        ("/".to_owned(), page(&app, "/").await.1),
        (
            format!("/a/{}", agent.handle.as_str()),
            page(&app, "/a/mallory").await.1,
        ),
    ] {
        assert!(!html.contains("<img src=x"), "{path}: {html}");
        assert!(!html.contains("<script"), "{path}: {html}");
        assert!(!html.contains("<b>"), "{path}: {html}");
        assert!(!html.contains("<iframe"), "{path}: {html}");
    }
    let (_, profile) = page(&app, "/a/mallory").await;
    assert!(
        profile.contains("&lt;iframe src=//evil&gt;&lt;/iframe&gt; &amp; &quot;quotes&quot;"),
        "{profile}"
    );
    // The caption as the grid's alt text stays inside its attribute.
    let (_, home) = page(&app, "/").await;
    assert!(
        home.contains("alt=\"&lt;img src=x onerror=alert(1)&gt;\""),
        "{home}"
    );
}

#[actix_web::test]
async fn what_does_not_exist_gets_the_404_page() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("painter");
    let tomorrow = app
        .aispace
        .now()
        .plus(Duration::from_secs(86_400))
        .to_string();
    let later = app
        .post_form(
            &key,
            &[
                Part::file("file", &images::png(4, 4, 3)),
                Part::text("publishAt", &tomorrow),
            ],
            &[],
        )
        .await;
    assert_eq!(later.body["scheduled"], true, "{}", later.body);
    let scheduled = later.body["scheduledPostId"].as_str().unwrap();
    for path in [
        "/p/cnothere".to_owned(),
        "/p/..%2F..%2Fetc".to_owned(),
        format!("/p/{scheduled}"),
        "/a/nobody".to_owned(),
        "/a/Not%20A%20Handle!".to_owned(),
        "/t/no%20such%20tag!".to_owned(),
        "/nope".to_owned(),
        "/p/".to_owned(),
        "/deeper/still/nothing".to_owned(),
    ] {
        let (answer, html) = page(&app, &path).await;
        assert_eq!(answer.status, 404, "{path}");
        assert_page_headers(&answer, &path);
        assert!(html.contains("<h1>Not found</h1>"), "{path}: {html}");
    }
    // The machine surfaces keep the JSON envelope.
    let (answer, _) = page(&app, "/api/agent/nope").await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.body["error"]["code"], "NOT_FOUND");
    // A cursor the server never issued is a client error, shown as a page.
    let (answer, html) = page(&app, "/?cursor=garbage!").await;
    assert_eq!(answer.status, 400, "{html}");
    assert_page_headers(&answer, "/?cursor=garbage!");
}

#[actix_web::test]
async fn a_post_page_shows_everything_and_unfurls_with_its_image() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("painter");
    let (judge_handle, judge) = app.agent("isolde");
    app.aispace.set_judge(&judge_handle, true, None).unwrap();
    let (_, fan) = app.agent("fan");
    let created = post_png(&app, &key, 4, "Neon dreams", "cyberpunk,aiart").await;
    let id = created["postId"].as_str().unwrap();
    let post_url = created["postUrl"].as_str().unwrap();
    let media_url = created["mediaUrl"].as_str().unwrap();
    assert!(media_url.starts_with("https://aispace.test/raw/"));

    let voted = app
        .post_json(
            "/api/agent/vote",
            &judge,
            json!({"postId": id, "medalType": "GOLD", "reason": "striking light"}),
            &[],
        )
        .await;
    assert_eq!(voted.status, 200, "{}", voted.body);
    let silver = app
        .post_json(
            "/api/agent/vote",
            &fan,
            json!({"postId": id, "medalType": "SILVER"}),
            &[],
        )
        .await;
    assert_eq!(silver.status, 200);
    let liked = app
        .send(
            "POST",
            &format!("/api/agent/posts/{id}/like"),
            Some(&fan),
            &[],
            None,
            vec![],
        )
        .await;
    assert_eq!(liked.status, 200);
    for body in ["first!", "second"] {
        let answer = app
            .post_json(
                &format!("/api/agent/posts/{id}/comments"),
                &fan,
                json!({ "body": body }),
                &[],
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        app.clock.advance(Duration::from_secs(11));
    }

    let (answer, html) = page(&app, &format!("/p/{id}")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(meta(&html, "og:image").as_deref(), Some(media_url));
    assert_eq!(meta(&html, "og:url").as_deref(), Some(post_url));
    assert_eq!(
        meta(&html, "og:title").as_deref(),
        Some("My Agent (@painter) on aispace")
    );
    assert_eq!(
        meta(&html, "og:description").as_deref(),
        Some("Neon dreams")
    );
    assert_eq!(meta(&html, "og:image:width").as_deref(), Some("32"));
    assert_eq!(
        meta(&html, "twitter:card").as_deref(),
        Some("summary_large_image")
    );
    assert_eq!(meta(&html, "twitter:image").as_deref(), Some(media_url));
    assert!(html.contains(&format!("<link rel=\"canonical\" href=\"{post_url}\">")));

    // The image at its size, from this site (by path: the page works under
    // whatever address it is reached by).
    let path = media_url.strip_prefix("https://aispace.test").unwrap();
    assert!(
        html.contains(&format!(
            "<img id=\"post-image\" src=\"{path}\" alt=\"Neon dreams\" width=\"32\" height=\"24\""
        )),
        "{html}"
    );
    let image = app.send("GET", path, None, &[], None, vec![]).await;
    assert_eq!(image.status, 200);
    assert_eq!(header(&image, "content-type"), "image/png");

    assert!(
        html.contains("<a href=\"/t/cyberpunk\">#cyberpunk</a>"),
        "{html}"
    );
    assert!(html.contains("<a href=\"/t/aiart\">#aiart</a>"), "{html}");
    assert!(html.contains("<dd id=\"medal-gold\">1</dd>"), "{html}");
    assert!(html.contains("<dd id=\"medal-silver\">1</dd>"), "{html}");
    assert!(html.contains("<dd id=\"medal-bronze\">0</dd>"), "{html}");
    assert!(html.contains("<dd id=\"likes\">1</dd>"), "{html}");
    assert!(html.contains("id=\"verdict\""), "{html}");
    assert!(html.contains("AI verdict: GOLD"), "{html}");
    assert!(html.contains("striking light"), "{html}");
    assert!(
        html.contains("<a class=\"author-card\" id=\"author-link\" href=\"/a/painter\">"),
        "{html}"
    );
    // Comments oldest first.
    let first = html.find("first!").unwrap();
    let second = html.find("second").unwrap();
    assert!(first < second);
    assert_eq!(html.matches("<li class=\"comment\"").count(), 2);

    // The author's page links back to the post.
    let (answer, profile) = page(&app, "/a/painter").await;
    assert_eq!(answer.status, 200);
    assert!(
        profile.contains(&format!("class=\"post-card\" href=\"/p/{id}\"")),
        "{profile}"
    );
    assert!(
        profile.contains("<dd id=\"stat-posts\">1</dd>"),
        "{profile}"
    );
    assert!(profile.contains("<dd id=\"stat-gold\">1</dd>"), "{profile}");
    assert!(
        profile.contains("<dd id=\"stat-likes\">1</dd>"),
        "{profile}"
    );
    assert!(
        profile.contains("<dd id=\"stat-comments\">2</dd>"),
        "{profile}"
    );
    // And the tag page lists it.
    let (_, tagged) = page(&app, "/t/cyberpunk").await;
    assert!(tagged.contains(&format!("href=\"/p/{id}\"")), "{tagged}");
    let (_, other) = page(&app, "/t/watercolour").await;
    assert!(!other.contains("post-card"), "{other}");
}

#[actix_web::test]
async fn external_images_are_linked_not_loaded() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("legacy");
    let created = app
        .post_json(
            "/api/agent/posts",
            &key,
            json!({"imageUrl": "https://images.example.org/a.png", "caption": "old style"}),
            &[],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let id = created.body["postId"].as_str().unwrap();
    let (answer, html) = page(&app, &format!("/p/{id}")).await;
    assert_eq!(answer.status, 200);
    assert!(!html.contains("<img"), "{html}");
    assert!(
        html.contains("id=\"post-image-link\" href=\"https://images.example.org/a.png\""),
        "{html}"
    );
    assert!(
        !header(&answer, "content-security-policy").contains("images.example.org"),
        "the policy must not allow the external host"
    );
    let (_, home) = page(&app, "/").await;
    assert!(home.contains("Image hosted elsewhere"), "{home}");
    assert!(!home.contains("<img"), "{home}");
}

#[actix_web::test]
async fn grids_page_by_links() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("prolific");
    let mut ids = Vec::new();
    for seed in 0..23 {
        let created = post_png(&app, &key, seed, &format!("post {seed}"), "series").await;
        ids.push(created["postId"].as_str().unwrap().to_owned());
    }
    for base in ["/", "/a/prolific", "/t/series"] {
        let (_, first) = page(&app, base).await;
        assert_eq!(first.matches("class=\"post-card\"").count(), 20, "{base}");
        // Newest first.
        assert!(
            first.contains(&format!("href=\"/p/{}\"", ids[22])),
            "{base}"
        );
        assert!(
            !first.contains(&format!("href=\"/p/{}\"", ids[2])),
            "{base}"
        );
        assert!(!first.contains("id=\"newest\""), "{base}");
        let older = first
            .split_once("<a id=\"older\" rel=\"next\" href=\"")
            .unwrap_or_else(|| panic!("{base}: no older link: {first}"))
            .1;
        let older = &older[..older.find('"').unwrap()];
        assert!(older.starts_with(&format!("{base}?cursor=")), "{older}");

        let (answer, second) = page(&app, older).await;
        assert_eq!(answer.status, 200, "{older}");
        assert_eq!(second.matches("class=\"post-card\"").count(), 3, "{base}");
        for id in &ids[..3] {
            assert!(second.contains(&format!("href=\"/p/{id}\"")), "{base}");
        }
        assert!(!second.contains("id=\"older\""), "{base}");
        assert!(
            second.contains(&format!("<a id=\"newest\" href=\"{base}\">")),
            "{base}"
        );
        assert!(second.contains("<meta name=\"robots\" content=\"noindex\">"));
    }
}

#[actix_web::test]
async fn long_threads_page_their_comments() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("painter");
    let (_, fan) = app.agent("fan");
    let created = post_png(&app, &key, 5, "talk", "").await;
    let id = created["postId"].as_str().unwrap();
    for n in 0..21 {
        let answer = app
            .post_json(
                &format!("/api/agent/posts/{id}/comments"),
                &fan,
                json!({ "body": format!("comment number {n}.") }),
                &[],
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        app.clock.advance(Duration::from_secs(11));
    }
    let (_, first) = page(&app, &format!("/p/{id}")).await;
    assert_eq!(first.matches("<li class=\"comment\"").count(), 20);
    assert!(first.contains("comment number 0."));
    assert!(!first.contains("comment number 20."));
    let more = first
        .split_once("id=\"more-comments\" rel=\"next\" href=\"")
        .unwrap()
        .1;
    let more = &more[..more.find('"').unwrap()];
    let (_, rest) = page(&app, more).await;
    assert_eq!(rest.matches("<li class=\"comment\"").count(), 1);
    assert!(rest.contains("comment number 20."));
}

#[actix_web::test]
async fn the_developers_page_speaks_with_this_servers_address() {
    let app = TestApp::spawn().await;
    let (answer, html) = page(&app, "/developers").await;
    assert_eq!(answer.status, 200);
    assert!(
        html.contains("curl -s -X POST https://aispace.test/api/agent/post \\"),
        "{html}"
    );
    assert!(html.contains(
        "Invoke-RestMethod -Method POST -Uri &quot;https://aispace.test/api/agent/post&quot;"
    ));
    assert!(html.contains("API = &quot;https://aispace.test&quot;"));
    assert!(!html.contains("aispace.world"));
    assert!(html.contains("<code id=\"base-url\">https://aispace.test</code>"));
    assert!(html.contains("href=\"/api/openapi.json\""));
    for path in [
        "/api/agent/connect",
        "/api/agent/me",
        "/api/agent/post",
        "/api/agent/posts",
        "/api/agent/posts/{id}",
        "/api/agent/feed",
        "/api/agent/vote",
        "/api/agent/posts/{id}/like",
        "/api/agent/posts/{id}/comments",
        "/api/agent/webhooks",
        "/api/agent/webhooks/{id}",
        "/api/agent/webhooks/{id}/rotate-secret",
        "/api/agent/webhooks/{id}/test",
        "/api/agent/webhooks/{id}/deliveries",
        "/api/agent/webhooks/{id}/deliveries/{deliveryId}/redeliver",
        "/api/agent/events",
    ] {
        assert!(
            html.contains(&format!("<td><code>{path}</code></td>")),
            "{path} is not listed"
        );
    }
    assert!(html.contains("webhook-signature"));
    for path in [
        "/api/v1/memes",
        "/api/v1/memes/{id}",
        "/api/v1/memes/{id}/vote",
        "/api/v1/memes/{id}/comments",
        "/api/v1/agents/me",
    ] {
        assert!(
            html.contains(&format!("<td><code>{path}</code></td>")),
            "{path} is not listed"
        );
    }
    assert!(html.contains(
        "curl &quot;https://aispace.test/api/v1/memes?sort=top&amp;period=7d&amp;page=1&amp;limit=20&quot; \\"
    ));
}
