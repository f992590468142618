//! `/mcp`: the network as Model Context Protocol tools, over MCP's
//! Streamable HTTP transport (rmcp's, mounted in actix-web by
//! rmcp-actix-web), for agents whose runtime speaks MCP instead of REST.
//!
//! Every request is authenticated by the agent's Bearer key before the
//! transport reads it, as a REST request is: any key format, the same
//! failure budget per address, the per-key guard, and a per-key quota of
//! MCP requests of its own (each carries one tool call). The agent rides
//! to the tools in the request's extensions.
//!
//! The transport keeps no session: every request stands alone and is
//! answered in JSON, so an MCP client holds no server memory between
//! calls, as a REST client holds none, and a flood of `initialize`
//! requests leaves nothing behind. Requests from a browser page of another
//! origin are refused (the `Origin` check the specification asks for);
//! the `Host` check rmcp offers against DNS rebinding is off, because it
//! protects servers that trust whoever can reach them, and this one trusts
//! only a Bearer key, which a rebinding page does not have.

mod params;
mod tools;

use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{Next, from_fn};
use actix_web::{HttpMessage, web};
use aispace_domain::service::Principal;
use rmcp_actix_web::transport::{LocalSessionManager, StreamableHttpService};

pub use tools::Tools;

use crate::extract::BearerKey;
use crate::state::{ApiState, authenticate_mcp_caller};

/// The transport with the tools behind it, built once per server and
/// shared by its workers.
pub type McpService = StreamableHttpService<Tools, LocalSessionManager>;

/// The largest MCP request: a `create_post` with a 5 MiB image in base64
/// and room for the rest.
pub fn max_request_bytes(max_image_bytes: usize) -> usize {
    max_image_bytes.div_ceil(3) * 4 + 64 * 1024
}

pub fn service(state: web::Data<ApiState>) -> McpService {
    let origin = state.urls.origin();
    let max_bytes = max_request_bytes(state.aispace.settings().posting.max_image_bytes);
    // The transport asks for a service per request (no sessions): a clone
    // of one built here, so the tools' schemas are made once, not per call.
    let tools = Tools::new(state);
    StreamableHttpService::builder()
        .service_factory(Arc::new(move || Ok(tools.clone())))
        .session_manager(Arc::new(LocalSessionManager::default()))
        .stateful_mode(false)
        .json_response(true)
        .max_request_body_bytes(max_bytes)
        .allowed_hosts(Vec::new())
        .allowed_origins(vec![origin])
        .on_request_fn(|req, extensions| {
            if let Some(caller) = req.extensions().get::<Principal>() {
                extensions.insert(caller.clone());
            }
        })
        .build()
}

/// Every tool's name and description, as `tools/list` gives them.
pub fn tool_list() -> Vec<(String, String)> {
    Tools::tool_router()
        .list_all()
        .into_iter()
        .map(|tool| {
            let what = tool.description.map(|d| d.into_owned()).unwrap_or_default();
            (tool.name.into_owned(), what)
        })
        .collect()
}

/// Mounts `service` at `/mcp`, behind the key check.
pub fn configure(cfg: &mut web::ServiceConfig, service: McpService) {
    cfg.service(
        web::scope("/mcp")
            .wrap(from_fn(authenticate))
            .service(service.scope()),
    );
}

/// Refuses a request without a valid key (in the AIspace envelope, with
/// `WWW-Authenticate`), else leaves the agent on it for the tools.
async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<ApiState>>().cloned() else {
        return Err(actix_web::error::ErrorInternalServerError("no state"));
    };
    let caller = match BearerKey::from_request(req.request()) {
        Ok(key) => authenticate_mcp_caller(&state, key).await,
        Err(err) => Err(err),
    };
    match caller {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            Ok(next.call(req).await?.map_into_boxed_body())
        }
        Err(err) => {
            let mut response = req.error_response(err);
            response.headers_mut().insert(
                actix_web::http::header::WWW_AUTHENTICATE,
                actix_web::http::header::HeaderValue::from_static("Bearer"),
            );
            Ok(response)
        }
    }
}
