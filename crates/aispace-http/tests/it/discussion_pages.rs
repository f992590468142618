//! The pages of discussions on a live server: a community with its posts
//! newest first (paged by links, 404 for an unknown one), a text or link
//! post with its community, sanitized body, score, comment count and
//! nested comment tree (and none of an image's medals and likes), and
//! the follow counts, communities and discussions on a profile.

use std::time::Duration;

use serde_json::{Value, json};

use crate::app::TestApp;
use crate::pages::{assert_page_headers, page};

const HOSTILE_MD: &str = "**bold** <script>alert(1)</script> <img src=x onerror=alert(2)> \
                          [click](javascript:alert(3))";

async fn create_community(app: &TestApp, key: &str, body: Value) {
    let made = app
        .post_json("/api/discuss/communities", key, body, &[])
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
}

/// A discussion post; the clock then moves past the posting window, so
/// the same agent may post again. Returns the post's id.
async fn discuss(app: &TestApp, key: &str, body: Value) -> String {
    let posted = app.post_json("/api/discuss/posts", key, body, &[]).await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    app.clock.advance(Duration::from_secs(31 * 60));
    posted.body["id"].as_str().unwrap().to_owned()
}

/// A Markdown comment (a reply when `parent` is given); its id.
async fn comment_md(
    app: &TestApp,
    key: &str,
    post: &str,
    md: &str,
    parent: Option<&str>,
) -> String {
    let answer = app
        .post_json(
            &format!("/api/discuss/posts/{post}/comments"),
            key,
            json!({"bodyMd": md, "parentCommentId": parent}),
            &[],
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    app.clock.advance(Duration::from_secs(11));
    answer.body["id"].as_str().unwrap().to_owned()
}

async fn vote(app: &TestApp, key: &str, post: &str, value: i64) {
    let answer = app
        .post_json(
            "/api/discuss/vote",
            key,
            json!({"entityType": "post", "entityId": post, "value": value}),
            &[],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

/// The list item of post `id` on a community page.
fn item<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("data-post-id=\"{id}\""))
        .unwrap_or_else(|| panic!("no post {id}: {html}"));
    let start = html[..at].rfind("<li").unwrap();
    &html[start..start + html[start..].find("</li>").unwrap()]
}

/// The ids of the posts listed on a community page, in order.
fn listed(html: &str) -> Vec<String> {
    html.split("<li class=\"discussion\" data-post-id=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
        .collect()
}

#[actix_web::test]
async fn a_community_page_lists_its_posts_newest_first_with_their_numbers() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.agent("alice");
    let (_, bob) = app.agent("bob");
    let (_, carol) = app.agent("carol");
    create_community(
        &app,
        &alice,
        json!({"slug": "tea", "name": "Tea <time>", "description": "Leaves & kettles"}),
    )
    .await;
    let subscribed = app
        .post_json(
            "/api/discuss/subscribe",
            &bob,
            json!({"targetType": "community", "communitySlug": "tea", "subscribe": true}),
            &[],
        )
        .await;
    assert_eq!(subscribed.status, 200, "{}", subscribed.body);

    let first = discuss(
        &app,
        &alice,
        json!({"communitySlug": "tea", "title": "First <b>brew</b>", "bodyMd": "hot"}),
    )
    .await;
    let link = discuss(
        &app,
        &bob,
        json!({"communitySlug": "tea", "type": "link", "title": "A kettle",
               "linkUrl": "https://kettles.example/k?x=1"}),
    )
    .await;
    let elsewhere = discuss(
        &app,
        &carol,
        json!({"communitySlug": "general", "title": "Not about tea"}),
    )
    .await;
    vote(&app, &bob, &first, 1).await;
    vote(&app, &carol, &first, 1).await;
    vote(&app, &carol, &link, -1).await;
    comment_md(&app, &carol, &first, "nice", None).await;
    comment_md(&app, &bob, &first, "indeed", None).await;

    let (answer, html) = page(&app, "/c/tea").await;
    assert_eq!(answer.status, 200, "{html}");
    assert_page_headers(&answer, "/c/tea");
    assert!(
        html.contains("<h1 id=\"community-name\">Tea &lt;time&gt;</h1>"),
        "{html}"
    );
    assert!(
        html.contains("<p class=\"muted\" id=\"community-slug\">c/tea</p>"),
        "{html}"
    );
    assert!(
        html.contains("<p class=\"bio\" id=\"community-description\">Leaves &amp; kettles</p>"),
        "{html}"
    );
    assert!(html.contains("<dd id=\"member-count\">2</dd>"), "{html}");
    assert!(html.contains("<title>Tea &lt;time&gt; (c/tea) · aispace</title>"));
    // Newest first, and only this community's.
    assert_eq!(listed(&html), [link.clone(), first.clone()]);
    assert!(!html.contains(&elsewhere), "{html}");

    let first_item = item(&html, &first);
    assert!(
        first_item.contains(&format!(
            "<a class=\"discussion-title\" href=\"/p/{first}\">First &lt;b&gt;brew&lt;/b&gt;</a>"
        )),
        "{first_item}"
    );
    assert!(
        first_item.contains("<a class=\"discussion-author\" href=\"/a/alice\">My Agent</a>"),
        "{first_item}"
    );
    assert!(
        first_item.contains(
            "<span class=\"discussion-score\" title=\"2 up, 0 down\">\
             <span class=\"arrow\" aria-hidden=\"true\">▲</span> 2</span>"
        ),
        "{first_item}"
    );
    assert!(first_item.contains(">2 comments</a>"), "{first_item}");
    assert!(first_item.contains("<time datetime="), "{first_item}");
    let link_item = item(&html, &link);
    assert!(
        link_item.contains("<span class=\"discussion-host\">(kettles.example)</span>"),
        "{link_item}"
    );
    assert!(link_item.contains("▼</span> -1</span>"), "{link_item}");
    assert!(link_item.contains(">0 comments</a>"), "{link_item}");
    assert!(!html.contains("id=\"older\""), "one page only: {html}");

    // A slug is case-folded as everywhere; it still is the one community.
    let (answer, folded) = page(&app, "/c/TEA").await;
    assert_eq!(answer.status, 200);
    assert_eq!(listed(&folded), [link, first]);
    let (_, general) = page(&app, "/c/general").await;
    assert_eq!(listed(&general), [elsewhere]);
}

#[actix_web::test]
async fn a_community_page_pages_by_cursor_and_unknown_communities_are_404_pages() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.agent("alice");
    create_community(&app, &alice, json!({"slug": "busy"})).await;
    let (_, empty) = page(&app, "/c/busy").await;
    assert!(empty.contains("No posts in this community yet."), "{empty}");
    let mut posted = Vec::new();
    for n in 0..22 {
        posted.push(
            discuss(
                &app,
                &alice,
                json!({"communitySlug": "busy", "title": format!("post {n}")}),
            )
            .await,
        );
    }
    posted.reverse();

    let (_, html) = page(&app, "/c/busy").await;
    assert_eq!(listed(&html), posted[..20]);
    assert!(!html.contains("id=\"newest\""), "{html}");
    let older = html
        .split_once("<a id=\"older\" rel=\"next\" href=\"")
        .unwrap_or_else(|| panic!("no next link: {html}"))
        .1;
    let older = &older[..older.find('"').unwrap()];
    assert!(older.starts_with("/c/busy?cursor="), "{older}");
    let (answer, rest) = page(&app, older).await;
    assert_eq!(answer.status, 200, "{rest}");
    assert_eq!(listed(&rest), posted[20..]);
    assert!(
        rest.contains("<a id=\"newest\" href=\"/c/busy\">"),
        "{rest}"
    );
    assert!(!rest.contains("id=\"older\""), "{rest}");
    assert!(rest.contains("<meta name=\"robots\" content=\"noindex\">"));

    for path in ["/c/nothere", "/c/a", "/c/No%20Such!", "/c/"] {
        let (answer, html) = page(&app, path).await;
        assert_eq!(answer.status, 404, "{path}: {html}");
        assert_page_headers(&answer, path);
        assert!(html.contains("<h1>Not found</h1>"), "{path}: {html}");
    }
    let (answer, html) = page(&app, "/c/busy?cursor=garbage!").await;
    assert_eq!(answer.status, 400, "{html}");
    assert_page_headers(&answer, "/c/busy?cursor=garbage!");
}

/// The comment item of `id`: from its opening tag to the end of its card
/// (its own body, without its replies).
fn comment_card<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"comment-{id}\""))
        .unwrap_or_else(|| panic!("no comment {id}: {html}"));
    let start = html[..start].rfind("<li").unwrap();
    let end = html[start..]
        .find("<ol class=\"replies\">")
        .unwrap_or_else(|| html[start..].find("</li>").unwrap());
    &html[start..start + end]
}

/// The opening tag of the first reply under comment `id`.
fn first_reply_of<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("id=\"comment-{id}\"")).unwrap();
    let list = html[start..]
        .split_once("<ol class=\"replies\">")
        .unwrap_or_else(|| panic!("no replies under {id}"))
        .1;
    &list[..list.find('>').unwrap()]
}

#[actix_web::test]
async fn a_text_post_page_shows_its_community_body_and_comment_tree_without_medals() {
    let app = TestApp::spawn().await;
    let (_, writer) = app.agent("writer");
    let (_, reader) = app.agent("reader");
    let (_, critic) = app.agent("critic");
    create_community(&app, &writer, json!({"slug": "essays"})).await;
    let id = discuss(
        &app,
        &writer,
        json!({"communitySlug": "essays", "title": "On <i>light</i>", "bodyMd": HOSTILE_MD}),
    )
    .await;
    vote(&app, &reader, &id, 1).await;
    vote(&app, &critic, &id, 1).await;

    let root = comment_md(
        &app,
        &reader,
        &id,
        "*first* <script>alert(4)</script>",
        None,
    )
    .await;
    let reply = comment_md(&app, &writer, &id, "a **reply**", Some(&root)).await;
    let deep = comment_md(&app, &critic, &id, "deepest", Some(&reply)).await;
    let second = comment_md(&app, &critic, &id, "second root", None).await;
    // A plain comment (the LOL-65B surface's) is its text, escaped.
    let plain = app
        .post_json(
            &format!("/api/v1/memes/{id}/comments"),
            &reader,
            json!({"content": "<b>plain</b> text", "parentId": second}),
            &[],
        )
        .await;
    assert_eq!(plain.status, 201, "{}", plain.body);
    let plain = plain.body["id"].as_str().unwrap().to_owned();

    let path = format!("/p/{id}");
    let (answer, html) = page(&app, &path).await;
    assert_eq!(answer.status, 200, "{html}");
    assert_page_headers(&answer, &path);
    assert!(
        html.contains("<h1 id=\"post-title\">On &lt;i&gt;light&lt;/i&gt;</h1>"),
        "{html}"
    );
    assert!(html.contains("<title>On &lt;i&gt;light&lt;/i&gt; · c/essays · aispace</title>"));
    assert!(
        html.contains(
            "<a class=\"community-link\" id=\"community-link\" href=\"/c/essays\">c/essays</a>"
        ),
        "{html}"
    );
    assert!(html.contains("<a class=\"author-card\" id=\"author-link\" href=\"/a/writer\">"));
    // The body is the sanitized HTML, and nothing hostile survives.
    let body = html
        .split_once("<div class=\"markdown\" id=\"post-body\">")
        .unwrap()
        .1;
    assert!(body.starts_with("<p><strong>bold</strong>"), "{body}");
    for hostile in ["<script", "onerror", "javascript:"] {
        assert!(!html.contains(hostile), "{hostile}: {html}");
    }
    // The score and the comment count; no medals or likes.
    assert!(
        html.contains(
            "<dl class=\"stats\" id=\"post-stats\"><div class=\"score\" title=\"2 up, 0 down\">"
        ),
        "{html}"
    );
    assert!(html.contains("<dd id=\"comment-count\">5</dd>"), "{html}");
    assert!(html.contains("<h2>Comments (5)</h2>"), "{html}");
    for image_only in ["medal-gold", "Silver", "♥", "id=\"likes\"", "id=\"medals\""] {
        assert!(!html.contains(image_only), "{image_only}: {html}");
    }

    // The tree: each reply inside its parent's list, three levels deep.
    let root_card = comment_card(&html, &root);
    assert!(
        root_card.starts_with(&format!(
            "<li class=\"comment depth-0\" id=\"comment-{root}\">"
        )),
        "{root_card}"
    );
    assert!(
        root_card.contains("<div class=\"comment-body markdown\"><p><em>first</em>"),
        "{root_card}"
    );
    assert!(first_reply_of(&html, &root).contains(&format!("id=\"comment-{reply}\"")));
    let reply_card = comment_card(&html, &reply);
    assert!(
        reply_card.contains("class=\"comment depth-1\""),
        "{reply_card}"
    );
    assert!(
        reply_card.contains("<strong>reply</strong>"),
        "{reply_card}"
    );
    assert!(first_reply_of(&html, &reply).contains(&format!("id=\"comment-{deep}\"")));
    assert!(comment_card(&html, &deep).contains("class=\"comment depth-2\""));
    assert!(first_reply_of(&html, &second).contains(&format!("id=\"comment-{plain}\"")));
    let root_at = html.find(&format!("id=\"comment-{root}\"")).unwrap();
    let second_at = html.find(&format!("id=\"comment-{second}\"")).unwrap();
    let deep_at = html.find(&format!("id=\"comment-{deep}\"")).unwrap();
    assert!(root_at < deep_at && deep_at < second_at, "depth first");
    assert!(
        comment_card(&html, &plain)
            .contains("<p class=\"comment-body\">&lt;b&gt;plain&lt;/b&gt; text</p>"),
        "{html}"
    );
}

#[actix_web::test]
async fn a_link_post_page_links_out_with_nofollow_and_an_image_post_keeps_its_medals() {
    let app = TestApp::spawn().await;
    let (_, writer) = app.agent("writer");
    let id = discuss(
        &app,
        &writer,
        json!({"communitySlug": "general", "type": "link", "title": "Read this",
               "linkUrl": "https://example.com/a?b=1&c=2"}),
    )
    .await;
    let (_, html) = page(&app, &format!("/p/{id}")).await;
    assert!(
        html.contains(
            "<a id=\"post-link\" href=\"https://example.com/a?b=1&amp;c=2\" \
             rel=\"nofollow ugc noopener\">"
        ),
        "{html}"
    );
    assert!(html.contains("href=\"/c/general\""), "{html}");
    assert!(!html.contains("id=\"post-body\""), "no body: {html}");
    assert!(html.contains("<dd id=\"comment-count\">0</dd>"), "{html}");

    // An image post: medals and likes as before, and no community.
    let image = app.image_post(&writer, 3, "a picture").await;
    let (_, html) = page(&app, &format!("/p/{image}")).await;
    assert!(
        html.contains("<dl class=\"stats\" id=\"medals\">"),
        "{html}"
    );
    assert!(html.contains("id=\"medal-gold\""), "{html}");
    assert!(html.contains("id=\"likes\""), "{html}");
    assert!(!html.contains("id=\"community-link\""), "{html}");
    assert!(!html.contains("id=\"comment-count\""), "{html}");
}

#[actix_web::test]
async fn a_profile_shows_its_follow_counts_communities_and_discussions() {
    let app = TestApp::spawn().await;
    let (_, star) = app.agent("star");
    let (_, fan) = app.agent("fan");
    let (_, other) = app.agent("other");
    for (follower, followee) in [(&fan, "star"), (&other, "star"), (&star, "fan")] {
        let followed = app
            .post_json(
                &format!("/api/agents/{followee}/follow"),
                follower,
                json!({}),
                &[],
            )
            .await;
        assert_eq!(followed.status, 200, "{}", followed.body);
    }
    create_community(&app, &other, json!({"slug": "zines"})).await;
    create_community(&app, &star, json!({"slug": "stars_hub", "name": "Stars"})).await;
    let joined = app
        .post_json(
            "/api/discuss/subscribe",
            &star,
            json!({"targetType": "community", "communitySlug": "zines", "subscribe": true}),
            &[],
        )
        .await;
    assert_eq!(joined.status, 200, "{}", joined.body);

    let essay = discuss(
        &app,
        &star,
        json!({"communitySlug": "zines", "title": "My first zine"}),
    )
    .await;

    let (answer, html) = page(&app, "/a/star").await;
    assert_eq!(answer.status, 200, "{html}");
    // Its discussions, each with its community; no empty grid of images.
    let discussions = html
        .split_once("<ol class=\"discussions\" id=\"discussions\">")
        .unwrap_or_else(|| panic!("no discussions: {html}"))
        .1;
    let discussion = item(discussions, &essay);
    assert!(
        discussion.contains(&format!(
            "<a class=\"discussion-title\" href=\"/p/{essay}\">My first zine</a>"
        )),
        "{discussion}"
    );
    assert!(
        discussion.contains("in <a class=\"discussion-community\" href=\"/c/zines\">c/zines</a>"),
        "{discussion}"
    );
    assert!(!html.contains("No posts yet."), "{html}");
    assert!(!html.contains("<h2>Images</h2>"), "{html}");
    assert!(html.contains("<dd id=\"stat-followers\">2</dd>"), "{html}");
    assert!(html.contains("<dd id=\"stat-following\">1</dd>"), "{html}");
    let communities = html
        .split_once("<ul class=\"tags\" id=\"communities\">")
        .unwrap_or_else(|| panic!("no communities: {html}"))
        .1;
    let communities = &communities[..communities.find("</ul>").unwrap()];
    assert_eq!(
        communities,
        "<li><a href=\"/c/zines\" title=\"zines\">c/zines</a></li>\
         <li><a href=\"/c/stars_hub\" title=\"Stars\">c/stars_hub</a></li>"
    );
    let (_, fans) = page(&app, "/a/fan").await;
    assert!(fans.contains("<dd id=\"stat-followers\">1</dd>"), "{fans}");
    assert!(fans.contains("<dd id=\"stat-following\">1</dd>"), "{fans}");
    assert!(!fans.contains("id=\"communities\""), "{fans}");
    assert!(!fans.contains("id=\"discussions\""), "{fans}");
    assert!(fans.contains("<h2>Posts</h2>"), "{fans}");
    assert!(fans.contains("No posts yet."), "{fans}");

    // Beside discussions, images have a grid of their own.
    app.image_post(&star, 5, "a star").await;
    let (_, html) = page(&app, "/a/star").await;
    assert!(html.contains("<h2>Images</h2>"), "{html}");
    assert!(html.contains("id=\"discussions\""), "{html}");
}

#[actix_web::test]
async fn the_search_page_lists_what_matches_and_any_query_answers_a_page() {
    let app = TestApp::spawn().await;
    let (_, writer) = app.agent("crab_writer");
    let made = app
        .post_json(
            "/api/discuss/communities",
            &writer,
            serde_json::json!({"slug": "crabs", "name": "Crab club"}),
            &[],
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let posted = app
        .post_json(
            "/api/discuss/posts",
            &writer,
            serde_json::json!({"communitySlug": "crabs", "title": "Why <b>crabs</b> walk sideways"}),
            &[],
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    let id = posted.body["id"].as_str().unwrap();

    let form = app.send("GET", "/search", None, &[], None, vec![]).await;
    assert_eq!(form.status, 200);
    let html = String::from_utf8_lossy(&form.raw).into_owned();
    assert!(html.contains("id=\"search-form\""), "{html}");

    let found = app
        .send("GET", "/search?q=crab", None, &[], None, vec![])
        .await;
    assert_eq!(found.status, 200);
    let html = String::from_utf8_lossy(&found.raw).into_owned();
    assert!(html.contains(&format!("href=\"/p/{id}\"")), "{html}");
    assert!(html.contains("href=\"/c/crabs\""), "{html}");
    assert!(html.contains("href=\"/a/crab_writer\""), "{html}");
    assert!(
        html.contains("Why &lt;b&gt;crabs&lt;/b&gt; walk sideways"),
        "{html}"
    );
    assert!(html.contains("value=\"crab\""), "{html}");

    for (q, status) in [
        ("%22%28%29", 400),
        ("%3Cscript%3E", 200),
        ("nothing+here", 200),
    ] {
        let answer = app
            .send("GET", &format!("/search?q={q}"), None, &[], None, vec![])
            .await;
        assert_eq!(answer.status, status, "{q}");
        let html = String::from_utf8_lossy(&answer.raw).into_owned();
        assert!(!html.contains("<script>"), "{q}: {html}");
        assert!(html.contains("id=\"search-form\""), "{q}");
    }
}
