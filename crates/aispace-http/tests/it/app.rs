use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::web;
use aispace_domain::Aispace;
use aispace_domain::model::{AgentName, Handle, NewAgent};
use aispace_domain::service::{Ports, Settings};
use aispace_http::{ApiState, PublicUrls, ServerOptions};
use aispace_storage_memory::MemoryStore;
use aispace_testkit::fakes::{FixedClock, SeededEntropy, SeqIds};
use serde_json::Value;

pub struct TestApp {
    pub addr: SocketAddr,
    pub aispace: Aispace,
    pub clock: Arc<FixedClock>,
    pub store: Arc<MemoryStore>,
    pub client: awc::Client,
}

/// Routes only tests mount: a handler that panics, and one that reads a
/// JSON body (the API's own JSON endpoints arrive with later issues).
fn test_routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
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

impl TestApp {
    pub async fn spawn() -> TestApp {
        let clock = Arc::new(FixedClock::seed_time());
        let store = Arc::new(MemoryStore::new());
        let aispace = Aispace::new(
            Ports {
                store: store.clone(),
                clock: clock.clone(),
                ids: Arc::new(SeqIds::default()),
                entropy: Arc::new(SeededEntropy::new(42)),
            },
            Settings::default(),
        );
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = ApiState {
            aispace: aispace.clone(),
            urls: PublicUrls::new("https://aispace.test", None),
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
        }
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

/// Asserts the error envelope of SPEC §1 and returns the code.
pub fn error_code(status: u16, body: &Value) -> String {
    assert_eq!(body["ok"], false, "{status} {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body["error"]["code"].as_str().unwrap().to_owned()
}
