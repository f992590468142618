use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::web;
use aispace_domain::model::{AgentName, Handle, NewAgent};
use aispace_domain::ports::StoreError;
use aispace_domain::service::{Settings, WebhookSettings};
use aispace_domain::{Aispace, DomainError};
use aispace_http::auth_failures::{AuthFailures, FailureBudget};
use aispace_http::extract::BearerKey;
use aispace_http::routes::endpoint;
use aispace_http::state::as_caller;
use aispace_http::{ApiError, ApiState, ErrorCode, PublicUrls, ServerOptions};
use aispace_outbound::AllowList;
use aispace_storage_memory::MemoryStore;
use aispace_testkit::fakes::FixedClock;
use aispace_testkit::world::TestWorld;
use serde_json::Value;

pub struct TestApp {
    pub addr: SocketAddr,
    pub aispace: Aispace,
    pub clock: Arc<FixedClock>,
    pub store: Arc<MemoryStore>,
    pub client: awc::Client,
    /// The server's lanes (shared, not a copy): what posting runs on.
    pub lanes: aispace_http::Lanes,
}

/// Routes only tests mount: a handler that panics, one that reads a JSON
/// body, and one answering any error code made the way the app makes it;
/// and on each newer surface, mounted the way its routes are, a panicking,
/// a JSON-reading and an authenticated endpoint.
fn test_routes(cfg: &mut web::ServiceConfig) {
    for prefix in ["/api/v1", "/api/discuss"] {
        surface_routes(cfg, prefix);
    }
    cfg.route("/api/agent/test/error/{code}", web::get().to(error_named))
        .route(
            "/test/panic",
            web::get().to(|| async {
                #[allow(clippy::panic)]
                if true {
                    panic!("deliberate test panic");
                }
                "unreachable"
            }),
        )
        .route(
            "/test/echo-json",
            web::post().to(|body: web::Json<Value>| async move { web::Json(body.into_inner()) }),
        );
}

fn surface_routes(cfg: &mut web::ServiceConfig, prefix: &str) {
    cfg.service(endpoint(&format!("{prefix}/test/echo-json"), "POST").route(
        web::post().to(|body: web::Json<Value>| async move { web::Json(body.into_inner()) }),
    ))
    .service(
        endpoint(&format!("{prefix}/test/panic"), "GET").route(web::get().to(|| async {
            #[allow(clippy::panic)]
            if true {
                panic!("deliberate test panic");
            }
            "unreachable"
        })),
    )
    .service(
        endpoint(&format!("{prefix}/test/me"), "GET").route(web::get().to(
            |state: web::Data<ApiState>, key: BearerKey| async move {
                as_caller(&state, key, |_, principal| {
                    Ok(web::Json(
                        serde_json::json!({ "handle": principal.agent.handle.as_str() }),
                    ))
                })
                .await
            },
        )),
    );
}

/// The error named in the path: the domain's own for the codes the domain
/// makes with extra parts (a wait, a hidden cause), a plain one otherwise.
async fn error_named(code: web::Path<String>) -> Result<&'static str, ApiError> {
    let code = ErrorCode::ALL
        .into_iter()
        .find(|c| c.as_str() == code.as_str())
        .unwrap();
    Err(match code {
        ErrorCode::RateLimited => DomainError::RateLimited {
            retry_after: std::time::Duration::from_secs(7),
        }
        .into(),
        ErrorCode::ServiceUnavailable => {
            DomainError::Unavailable(StoreError::Unavailable("disk on fire".into())).into()
        }
        ErrorCode::InternalError => ApiError::internal("secret cause"),
        code => ApiError::new(code, "what went wrong"),
    })
}

/// Failed authentications tests may make before being refused.
const LAX: FailureBudget = FailureBudget {
    per_address: 1_000_000,
    per_prefix: 1_000_000,
    window: std::time::Duration::from_secs(60),
};

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(Settings::default()).await
    }

    /// URL fetching may reach 127.0.0.1 only (where tests run image
    /// servers); every other non-public address stays forbidden.
    pub async fn spawn_with(settings: Settings) -> TestApp {
        Self::spawn_full(settings, None, 0, AllowList::default()).await
    }

    /// With the per-key request guard on.
    pub async fn spawn_guarded(per_second: u32, burst: u32) -> TestApp {
        let rate = aispace_http::request_guard::GuardRate {
            per_second: std::num::NonZeroU32::new(per_second).unwrap(),
            burst: std::num::NonZeroU32::new(burst).unwrap(),
        };
        Self::spawn_full(Settings::default(), Some(rate), 0, AllowList::default()).await
    }

    /// With the LOL-65B surface's per-key quota of `per_minute` requests
    /// (off in the other constructors, so tests may call it freely).
    pub async fn spawn_lol_guarded(per_minute: u32) -> TestApp {
        Self::spawn_full(Settings::default(), None, per_minute, AllowList::default()).await
    }

    /// Behind reverse proxies at `trusted` (CIDRs, comma-separated), whose
    /// `X-Forwarded-For` then names the client.
    pub async fn spawn_behind_proxies(settings: Settings, trusted: &str) -> TestApp {
        Self::spawn_full(settings, None, 0, AllowList::parse(trusted).unwrap()).await
    }

    async fn spawn_full(
        settings: Settings,
        guard: Option<aispace_http::request_guard::GuardRate>,
        lol_per_minute: u32,
        trusted_proxies: AllowList,
    ) -> TestApp {
        Self::spawn_surfaces(settings, guard, lol_per_minute, 0, trusted_proxies, LAX).await
    }

    /// With the production budget of failed authentications (the other
    /// constructors allow far more: many tests send bad keys on purpose).
    pub async fn spawn_counting_failures() -> TestApp {
        Self::spawn_surfaces(
            Settings::default(),
            None,
            0,
            0,
            AllowList::default(),
            FailureBudget::default(),
        )
        .await
    }

    /// With the doseofai surface's per-key quota of `per_minute` requests.
    pub async fn spawn_doseofai_guarded(per_minute: u32) -> TestApp {
        Self::spawn_surfaces(
            Settings::default(),
            None,
            0,
            per_minute,
            AllowList::default(),
            LAX,
        )
        .await
    }

    async fn spawn_surfaces(
        settings: Settings,
        guard: Option<aispace_http::request_guard::GuardRate>,
        lol_per_minute: u32,
        doseofai_per_minute: u32,
        trusted_proxies: AllowList,
        failures: FailureBudget,
    ) -> TestApp {
        let world = TestWorld::init()
            .settings(settings)
            .loopback_outbound()
            .build();
        let (aispace, clock, store) = (world.aispace, world.clock, world.store);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let lanes = aispace_http::Lanes::default();
        let state = ApiState {
            aispace: aispace.clone(),
            urls: PublicUrls::new("https://aispace.test", None),
            guard: guard.map(|rate| Arc::new(aispace_http::request_guard::RequestGuard::new(rate))),
            lol_guard: aispace_http::state::per_minute(lol_per_minute).map(Arc::new),
            doseofai_guard: aispace_http::state::per_minute(doseofai_per_minute).map(Arc::new),
            mcp_guard: None,
            auth_failures: Arc::new(AuthFailures::new(failures)),
            webhook_sends: aispace_http::state::webhook_sends(),
            lanes: lanes.clone(),
            trusted_proxies,
        };
        let options = ServerOptions {
            workers: Some(1),
            ..ServerOptions::default()
        };
        let server = aispace_http::run_with(listener, state, options, test_routes).unwrap();
        actix_web::rt::spawn(server);
        TestApp {
            addr,
            aispace,
            clock,
            store,
            client: awc::Client::default(),
            lanes,
        }
    }

    /// Everything the store holds. The memory store's `Debug` prints all
    /// of its state, so two equal snapshots mean that nothing was written
    /// at all: no post, like, comment, quota entry, event, delivery or
    /// `lastUsedAt`.
    pub fn snapshot(&self) -> String {
        format!("{:?}", self.store)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Creates an agent and returns its handle and key.
    pub fn agent(&self, handle: &str) -> (Handle, String) {
        let (agent, issued) = self
            .aispace
            .create_agent(NewAgent {
                handle: Handle::parse(handle).unwrap(),
                name: AgentName::parse("My Agent").unwrap(),
                bio: None,
            })
            .unwrap();
        (agent.handle, issued.key.expose())
    }

    pub async fn get(&self, path: &str, key: Option<&str>) -> (u16, Value) {
        let mut req = self.client.get(self.url(path));
        if let Some(key) = key {
            req = req.insert_header(("Authorization", format!("Bearer {key}")));
        }
        let mut resp = req.send().await.unwrap();
        let body = resp.body().await.unwrap();
        (
            resp.status().as_u16(),
            serde_json::from_slice(&body).unwrap_or(Value::Null),
        )
    }

    pub async fn post(&self, path: &str, key: Option<&str>) -> (u16, Value) {
        let mut req = self.client.post(self.url(path));
        if let Some(key) = key {
            req = req.insert_header(("Authorization", format!("Bearer {key}")));
        }
        let mut resp = req.send().await.unwrap();
        let body = resp.body().await.unwrap();
        (
            resp.status().as_u16(),
            serde_json::from_slice(&body).unwrap_or(Value::Null),
        )
    }
}

/// Asserts an error envelope with a message and returns the code: the
/// AIspace one (`ok: false`), LOL-65B's (no `ok`, a bare `error` object)
/// or doseofai's (`success: false`, `error` the message, and a `hint`).
/// The default settings, with webhooks allowed to plain `http://` (the
/// tests' receivers listen on 127.0.0.1 without TLS).
pub fn allow_http() -> Settings {
    Settings {
        webhooks: WebhookSettings {
            allow_http: true,
            ..WebhookSettings::default()
        },
        ..Settings::default()
    }
}

pub fn error_code(status: u16, body: &Value) -> String {
    if body.get("success").is_some() {
        assert_eq!(body["success"], false, "{status} {body}");
        for field in ["error", "hint"] {
            assert!(
                body[field].as_str().is_some_and(|m| !m.is_empty()),
                "{status} {body}"
            );
        }
        return body["code"].as_str().unwrap().to_owned();
    }
    if body.get("ok").is_some() {
        assert_eq!(body["ok"], false, "{status} {body}");
    } else {
        assert!(body["error"].is_object(), "{status} {body}");
    }
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body["error"]["code"].as_str().unwrap().to_owned()
}

pub use aispace_testkit::http::{Part, multipart_body};

pub struct Answer {
    pub status: u16,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: Value,
    pub raw: actix_web::web::Bytes,
}

impl Answer {
    /// The status and the error code of an error answer (asserting its
    /// envelope on the way, as [`error_code`] does).
    pub fn code(&self) -> (u16, String) {
        (self.status, error_code(self.status, &self.body))
    }

    /// The `Retry-After` header, in whole seconds.
    pub fn retry_after_seconds(&self) -> u64 {
        self.headers
            .get("retry-after")
            .expect("a Retry-After header")
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    }
}

impl TestApp {
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        headers: &[(&str, &str)],
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Answer {
        let method = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .client
            .request(method, self.url(path))
            .timeout(std::time::Duration::from_secs(30));
        if let Some(key) = key {
            req = req.insert_header(("Authorization", format!("Bearer {key}")));
        }
        if let Some(ct) = content_type {
            req = req.insert_header(("Content-Type", ct));
        }
        for (name, value) in headers {
            req = req.insert_header((*name, *value));
        }
        let mut resp = req.send_body(body).await.unwrap();
        let raw = resp.body().limit(20 * 1024 * 1024).await.unwrap();
        Answer {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            body: serde_json::from_slice(&raw).unwrap_or(Value::Null),
            raw,
        }
    }

    pub async fn post_json(
        &self,
        path: &str,
        key: &str,
        json: Value,
        headers: &[(&str, &str)],
    ) -> Answer {
        self.send(
            "POST",
            path,
            Some(key),
            headers,
            Some("application/json"),
            json.to_string().into_bytes(),
        )
        .await
    }

    pub async fn post_form(
        &self,
        key: &str,
        parts: &[Part<'_>],
        headers: &[(&str, &str)],
    ) -> Answer {
        let (content_type, body) = multipart_body(parts);
        self.send(
            "POST",
            "/api/agent/post",
            Some(key),
            headers,
            Some(&content_type),
            body,
        )
        .await
    }

    /// Publishes a small PNG (distinct per `seed`) with `caption` as
    /// `key` by upload, and returns the post's id.
    pub async fn image_post(&self, key: &str, seed: u8, caption: &str) -> String {
        let png = aispace_testkit::images::png(4, 4, seed);
        let answer = self
            .post_form(
                key,
                &[Part::file("file", &png), Part::text("caption", caption)],
                &[],
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.body["postId"].as_str().unwrap().to_owned()
    }
}
