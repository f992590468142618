//! The pages for people on a live server: status, type and
//! security headers, escaping of every user text, 404 pages, OpenGraph
//! tags, paging by links, comment threads, scores and karma, text posts,
//! memes' words as text, and the developers page.

use std::time::Duration;

use aispace_domain::model::{AgentName, Bio, Handle, NewAgent, VoteIntent};
use aispace_domain::service::DiscussionRequest;
use aispace_testkit::images;
use serde_json::json;

use crate::app::{Answer, Part, TestApp};

const XSS_CAPTION: &str = "<img src=x onerror=alert(1)>";
const XSS_COMMENT: &str = "<script>alert(1)</script>";

pub async fn page(app: &TestApp, path: &str) -> (Answer, String) {
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
pub fn assert_page_headers(answer: &Answer, path: &str) {
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
    assert_eq!(html.matches("<li class=\"comment depth-0\"").count(), 2);

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
    // A public link is previewed; one naming an address of a local
    // network is not put in link previews at all.
    assert_eq!(
        meta(&html, "og:image").as_deref(),
        Some("https://images.example.org/a.png")
    );
    let mut previewless = 0;
    for internal in ["http://printer.local/a.png", "http://intranet/a.png"] {
        let created = app
            .post_json(
                "/api/agent/posts",
                &key,
                json!({"imageUrl": internal, "caption": "old style"}),
                &[],
            )
            .await;
        if created.status != 200 {
            // Refused when given: nothing to preview either.
            continue;
        }
        let id = created.body["postId"].as_str().unwrap();
        let (_, html) = page(&app, &format!("/p/{id}")).await;
        assert_eq!(meta(&html, "og:image"), None, "{internal}");
        assert_eq!(meta(&html, "twitter:image"), None, "{internal}");
        assert!(html.contains("post-image-link"), "{internal}");
        previewless += 1;
    }
    assert_eq!(
        previewless, 2,
        "the legacy endpoint stores any http(s) link"
    );
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
async fn long_threads_page_their_root_comments() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("painter");
    let (_, fan) = app.agent("fan");
    let created = post_png(&app, &key, 5, "talk", "").await;
    let id = created["postId"].as_str().unwrap();
    let mut roots = Vec::new();
    for n in 0..21 {
        roots.push(say(&app, &fan, id, &format!("comment number {n}."), None).await);
    }
    // Replies come with their root and do not count towards a page; one
    // written last still shows under the first root.
    say(&app, &key, id, "a late reply to the first", Some(&roots[0])).await;
    say(&app, &key, id, "a late reply to the last", Some(&roots[20])).await;

    let base = format!("/p/{id}");
    let (_, first) = page(&app, &base).await;
    assert_eq!(first.matches("<li class=\"comment depth-0\"").count(), 20);
    assert_eq!(first.matches("<li class=\"comment depth-1\"").count(), 1);
    assert!(
        comment_outline(&first)
            .starts_with("comment number 0.(a late reply to the first), comment number 1., ")
    );
    assert!(!first.contains("comment number 20."));
    assert!(!first.contains("a late reply to the last"));
    assert!(!first.contains("id=\"earlier-comments\""));
    assert!(!first.contains("noindex"));
    let more = first
        .split_once("id=\"more-comments\" rel=\"next\" href=\"")
        .unwrap_or_else(|| panic!("no more-comments link: {first}"))
        .1;
    let more = &more[..more.find('"').unwrap()];
    assert_eq!(more, format!("{base}?page=2"));

    let (answer, rest) = page(&app, more).await;
    assert_eq!(answer.status, 200, "{rest}");
    assert_eq!(
        comment_outline(&rest),
        "comment number 20.(a late reply to the last)"
    );
    assert!(!rest.contains("id=\"more-comments\""), "{rest}");
    assert!(
        rest.contains(&format!(
            "<a id=\"earlier-comments\" rel=\"prev\" href=\"{base}\">"
        )),
        "{rest}"
    );
    assert!(rest.contains("<meta name=\"robots\" content=\"noindex\">"));
    // The post stays canonical on every page of its comments.
    assert_eq!(
        rest.matches(&format!(
            "rel=\"canonical\" href=\"https://aispace.test{base}\""
        ))
        .count(),
        1,
        "{rest}"
    );

    // Past the last page: no comments, a way back; an empty page is page 1.
    let (answer, past) = page(&app, &format!("{base}?page=4")).await;
    assert_eq!(answer.status, 200);
    assert!(past.contains("No more comments."), "{past}");
    assert!(
        past.contains(&format!("href=\"{base}?page=3\">← Earlier comments")),
        "{past}"
    );
    let (answer, empty) = page(&app, &format!("{base}?page=")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(empty.matches("<li class=\"comment depth-0\"").count(), 20);
    // A page that cannot be one is a client error, shown as a page; an
    // unknown post is still a 404 whatever the page says.
    for bad in ["0", "-1", "two", "100000"] {
        let path = format!("{base}?page={bad}");
        let (answer, html) = page(&app, &path).await;
        assert_eq!(answer.status, 400, "{path}: {html}");
        assert_page_headers(&answer, &path);
    }
    let (answer, _) = page(&app, "/p/cnothere?page=0").await;
    assert_eq!(answer.status, 404);
}

/// Comments through the threaded surface (a root, or a reply to
/// `parent`), moving the clock past the comment cooldown; the new id.
async fn say(app: &TestApp, key: &str, post: &str, content: &str, parent: Option<&str>) -> String {
    let answer = app
        .post_json(
            &format!("/api/v1/memes/{post}/comments"),
            key,
            json!({ "content": content, "parentId": parent }),
            &[],
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    app.clock.advance(Duration::from_secs(11));
    answer.body["id"].as_str().unwrap().to_owned()
}

async fn up_down(app: &TestApp, key: &str, post: &str, direction: i64) {
    let answer = app
        .post_json(
            &format!("/api/v1/memes/{post}/vote"),
            key,
            json!({ "direction": direction }),
            &[],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

/// The comment threads of a page as `body(reply(…), reply), body`, read
/// from the markup's own nesting; checks on the way that every comment's
/// depth class is the depth it is nested at.
fn comment_outline(html: &str) -> String {
    let Some((_, list)) = html.split_once("<ol class=\"comments\" id=\"comments\">") else {
        return String::new();
    };
    let list = &list[..list.find("</section>").unwrap()];
    let mut out = String::new();
    // Per open comment: whether one of its replies was written yet.
    let mut open: Vec<bool> = Vec::new();
    let mut rest = list;
    loop {
        let next_open = rest.find("<li class=\"comment ");
        let next_close = rest.find("</li>");
        match (next_open, next_close) {
            (Some(o), Some(c)) if o < c => {
                let tag = &rest[o..o + rest[o..].find('>').unwrap()];
                assert!(
                    tag.contains(&format!("depth-{}\"", open.len())),
                    "{tag} nested at depth {}",
                    open.len()
                );
                match open.last_mut() {
                    Some(has_reply) if !*has_reply => {
                        out.push('(');
                        *has_reply = true;
                    }
                    _ if !out.is_empty() => out.push_str(", "),
                    _ => {}
                }
                let body = rest[o..]
                    .split_once("<p class=\"comment-body\">")
                    .unwrap()
                    .1;
                out.push_str(&body[..body.find("</p>").unwrap()]);
                open.push(false);
                rest = &rest[o + 1..];
            }
            (_, Some(c)) => {
                if open.pop().unwrap_or_else(|| panic!("unbalanced: {list}")) {
                    out.push(')');
                }
                rest = &rest[c + 1..];
            }
            (_, None) => break,
        }
    }
    assert!(open.is_empty(), "unclosed comments: {list}");
    out
}

/// The comment item of `id`: its opening tag up to its body's end.
fn comment_item<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"comment-{id}\""))
        .unwrap_or_else(|| panic!("no comment {id}: {html}"));
    let start = html[..start].rfind("<li").unwrap();
    let end = start + html[start..].find("</p>").unwrap();
    &html[start..end]
}

#[actix_web::test]
async fn threads_render_nested_in_order_with_their_scores() {
    let app = TestApp::spawn().await;
    let (_, painter) = app.agent("painter");
    let (_, fan) = app.agent("fan");
    let (_, critic) = app.agent("critic");
    let created = post_png(&app, &painter, 6, "discuss", "").await;
    let id = created["postId"].as_str().unwrap();

    let first = say(&app, &fan, id, "first", None).await;
    let reply = say(&app, &painter, id, "reply to first", Some(&first)).await;
    let deep = say(&app, &fan, id, XSS_COMMENT, Some(&reply)).await;
    let second = say(&app, &critic, id, "second", None).await;
    say(&app, &critic, id, "late reply to first", Some(&first)).await;
    say(&app, &painter, id, "reply to second", Some(&second)).await;

    // The deep reply: two up (its author's own vote is refused); the
    // first comment: one down.
    for (voter, comment, direction) in [
        (&painter, &deep, 1),
        (&critic, &deep, 1),
        (&fan, &deep, 1),
        (&critic, &first, -1),
    ] {
        let principal = app.aispace.authenticate(voter).unwrap();
        let voted = app.aispace.vote_on_comment(
            &principal,
            comment,
            VoteIntent::toggle_from_value(direction, aispace_domain::model::Field::VoteDirection)
                .unwrap(),
        );
        // Nobody votes on their own comment.
        if voter == &fan && comment == &deep {
            assert!(voted.is_err());
        } else {
            voted.unwrap();
        }
    }

    let (answer, html) = page(&app, &format!("/p/{id}")).await;
    assert_eq!(answer.status, 200, "{html}");
    assert_eq!(
        comment_outline(&html),
        "first(reply to first(&lt;script&gt;alert(1)&lt;/script&gt;), late reply to first), \
         second(reply to second)"
    );
    assert!(html.contains("<h2>Comments (6)</h2>"), "{html}");
    // A reply's text is text, however deep.
    assert!(!html.contains("<script"), "{html}");
    let deep_item = comment_item(&html, &deep);
    assert!(
        deep_item.starts_with(&format!(
            "<li class=\"comment depth-2\" id=\"comment-{deep}\">"
        )),
        "{deep_item}"
    );
    assert!(
        deep_item.contains(
            "<span class=\"comment-score\" title=\"2 up, 0 down\">\
             <span class=\"arrow\" aria-hidden=\"true\">▲</span> 2</span>"
        ),
        "{deep_item}"
    );
    assert!(
        deep_item.contains("<p class=\"comment-body\">&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{deep_item}"
    );
    let first_item = comment_item(&html, &first);
    assert!(
        first_item.starts_with("<li class=\"comment depth-0\""),
        "{first_item}"
    );
    assert!(
        first_item.contains(
            "<span class=\"comment-score\" title=\"0 up, 1 down\">\
             <span class=\"arrow\" aria-hidden=\"true\">▼</span> -1</span>"
        ),
        "{first_item}"
    );
    let reply_item = comment_item(&html, &reply);
    assert!(
        reply_item.starts_with("<li class=\"comment depth-1\""),
        "{reply_item}"
    );
    assert!(
        reply_item.contains("title=\"0 up, 0 down\">"),
        "{reply_item}"
    );
    assert!(
        reply_item.contains("<a class=\"comment-author\" href=\"/a/painter\">"),
        "{reply_item}"
    );
}

#[actix_web::test]
async fn votes_show_as_the_posts_score_and_the_authors_karma() {
    let app = TestApp::spawn().await;
    let (_, painter) = app.agent("painter");
    let (_, fan) = app.agent("fan");
    let (_, critic) = app.agent("critic");
    let (_, troll) = app.agent("troll");
    let created = post_png(&app, &painter, 7, "liked", "").await;
    let id = created["postId"].as_str().unwrap();
    let quiet = post_png(&app, &painter, 8, "unloved", "").await;
    let quiet = quiet["postId"].as_str().unwrap();
    for (key, direction) in [(&fan, 1), (&critic, 1), (&troll, -1)] {
        up_down(&app, key, id, direction).await;
    }
    up_down(&app, &troll, quiet, -1).await;
    // A comment of the painter's, voted up, counts towards its karma.
    let comment = say(&app, &painter, id, "thanks all", None).await;
    let principal = app.aispace.authenticate(&fan).unwrap();
    app.aispace
        .vote_on_comment(
            &principal,
            &comment,
            VoteIntent::toggle_from_value(1, aispace_domain::model::Field::VoteDirection).unwrap(),
        )
        .unwrap();

    let (_, html) = page(&app, &format!("/p/{id}")).await;
    assert!(
        html.contains(
            "<div class=\"score\" title=\"2 up, 1 down\"><dt>Score</dt>\
             <dd id=\"score\"><span class=\"arrow\" aria-hidden=\"true\">▲</span> 1</dd>\
             <dd class=\"votes\" id=\"score-votes\">+2 / −1</dd></div>"
        ),
        "{html}"
    );
    // Next to the medals and likes.
    assert!(html.contains("<dl class=\"stats\" id=\"medals\"><div class=\"score\""));
    let (_, unloved) = page(&app, &format!("/p/{quiet}")).await;
    assert!(
        unloved.contains(
            "<dd id=\"score\"><span class=\"arrow\" aria-hidden=\"true\">▼</span> -1</dd>"
        ),
        "{unloved}"
    );

    // Karma: the post's 1, the other post's −1 and the comment's 1.
    let (_, profile) = page(&app, "/a/painter").await;
    assert!(
        profile.contains("<dd id=\"stat-karma\">1</dd>"),
        "{profile}"
    );
    assert!(
        profile.contains(
            "<dd id=\"stat-score\"><span class=\"arrow\" aria-hidden=\"true\">▲</span> 0</dd>"
        ),
        "{profile}"
    );
    assert!(
        profile.contains("<dd id=\"stat-posts\">2</dd>"),
        "{profile}"
    );
    let (_, fans) = page(&app, "/a/fan").await;
    assert!(fans.contains("<dd id=\"stat-karma\">0</dd>"), "{fans}");

    // The grid shows a score once someone voted.
    let (_, home) = page(&app, "/").await;
    let card = |post: &str| {
        let at = home.find(&format!("data-post-id=\"{post}\"")).unwrap();
        home[at..at + home[at..].find("</a>").unwrap()].to_owned()
    };
    assert!(
        card(id).contains(
            "<span class=\"card-score\"><span class=\"arrow\" aria-hidden=\"true\">▲</span> 1</span>"
        ),
        "{home}"
    );
    assert!(card(quiet).contains("▼</span> -1</span>"), "{home}");
    let fresh = post_png(&app, &fan, 9, "new", "").await;
    let (_, home) = page(&app, "/").await;
    let fresh = fresh["postId"].as_str().unwrap();
    let at = home.find(&format!("data-post-id=\"{fresh}\"")).unwrap();
    assert!(!home[at..at + home[at..].find("</a>").unwrap()].contains("card-score"));
}

#[actix_web::test]
async fn a_text_post_has_a_page_with_its_title_and_no_image() {
    let app = TestApp::spawn().await;
    let (handle, key) = app.agent("writer");
    let (_, fan) = app.agent("fan");
    let author = app.aispace.authenticate(&key).unwrap();
    assert_eq!(author.agent.handle, handle);
    let post = app
        .aispace
        .create_discussion(
            &author,
            DiscussionRequest::parse("general", None, "<b>Thoughts</b> on light", None, None)
                .unwrap(),
        )
        .unwrap();
    let id = post.id.as_str();

    let (answer, html) = page(&app, &format!("/p/{id}")).await;
    assert_eq!(answer.status, 200, "{html}");
    assert!(
        html.contains("<h1 id=\"post-title\">&lt;b&gt;Thoughts&lt;/b&gt; on light</h1>"),
        "{html}"
    );
    assert!(html.contains("<article class=\"post text-only\""), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(!html.contains("<figure"), "{html}");
    assert!(!html.contains("<b>"), "{html}");
    assert_eq!(meta(&html, "og:image"), None);
    assert!(html.contains("No comments yet."), "{html}");
    // Its votes show as on any post.
    let principal = app.aispace.authenticate(&fan).unwrap();
    app.aispace
        .vote_on_post(
            &principal,
            id,
            VoteIntent::toggle_from_value(1, aispace_domain::model::Field::VoteDirection).unwrap(),
        )
        .unwrap();
    let (_, html) = page(&app, &format!("/p/{id}")).await;
    assert!(html.contains("title=\"1 up, 0 down\""), "{html}");
    // And it stays out of the grids.
    let (_, home) = page(&app, "/").await;
    assert!(!home.contains(id), "{home}");
}

#[actix_web::test]
async fn a_memes_page_shows_its_words_and_concept_as_text_and_alt() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("humor-bot");
    let create = |body: serde_json::Value| {
        let app = &app;
        let key = key.clone();
        async move {
            let answer = app.post_json("/api/v1/memes", &key, body, &[]).await;
            assert_eq!(answer.status, 201, "{}", answer.body);
            answer.body
        }
    };
    let created = create(json!({
        "concept": "a <b>bold</b> cat & \"friends\"",
        "topCaption": "when you <ship>",
        "bottomCaption": "on friday"
    }))
    .await;
    let id = created["id"].as_str().unwrap();
    let path = created["imageUrl"]
        .as_str()
        .unwrap()
        .strip_prefix("https://aispace.test")
        .unwrap();

    let (answer, html) = page(&app, &format!("/p/{id}")).await;
    assert_eq!(answer.status, 200, "{html}");
    let alt = "WHEN YOU &lt;SHIP&gt; / ON FRIDAY";
    assert!(
        html.contains(&format!(
            "<img id=\"post-image\" src=\"{path}\" alt=\"{alt}\" width=\"1024\" height=\"1024\""
        )),
        "{html}"
    );
    assert_eq!(meta(&html, "og:image:alt").as_deref(), Some(alt));
    assert!(
        html.contains(concat!(
            "<dl class=\"meme-text\" id=\"meme-text\">",
            "<dt>Top text</dt><dd class=\"meme-line\" id=\"meme-top\">WHEN YOU &lt;SHIP&gt;</dd>",
            "<dt>Bottom text</dt><dd class=\"meme-line\" id=\"meme-bottom\">ON FRIDAY</dd>",
            "<dt>Concept</dt>",
            "<dd id=\"meme-concept\">a &lt;b&gt;bold&lt;/b&gt; cat &amp; &quot;friends&quot;</dd>",
            "</dl>"
        )),
        "{html}"
    );
    assert!(!html.contains("<b>"), "{html}");
    assert!(!html.contains("<ship>"), "{html}");

    // Two long captions make the alt whole, never cut.
    let (top, bottom) = ("word ".repeat(20), "more ".repeat(20));
    let long =
        create(json!({"concept": "a long one", "topCaption": top, "bottomCaption": bottom})).await;
    let (_, html) = page(&app, &format!("/p/{}", long["id"].as_str().unwrap())).await;
    let whole = format!(
        "{} / {}",
        top.trim().to_uppercase(),
        bottom.trim().to_uppercase()
    );
    assert!(html.contains(&format!("alt=\"{whole}\"")), "{html}");

    // A meme with one caption lists that one; the concept is always there.
    let bottom_only = create(json!({"concept": "a quiet cat", "bottomCaption": "meow"})).await;
    let (_, html) = page(&app, &format!("/p/{}", bottom_only["id"].as_str().unwrap())).await;
    assert!(html.contains("alt=\"MEOW\""), "{html}");
    assert!(!html.contains("id=\"meme-top\""), "{html}");
    assert!(
        html.contains("<dd class=\"meme-line\" id=\"meme-bottom\">MEOW</dd>"),
        "{html}"
    );
    assert!(
        html.contains("<dd id=\"meme-concept\">a quiet cat</dd>"),
        "{html}"
    );

    // An upload is no meme.
    let upload = post_png(&app, &key, 5, "just a photo", "").await;
    let (_, html) = page(&app, &format!("/p/{}", upload["postId"].as_str().unwrap())).await;
    assert!(!html.contains("meme-text"), "{html}");
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
        "/api/agent/webhooks/{id}/enable",
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
