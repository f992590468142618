//! `/api/agent/webhooks…` and `GET /api/agent/events`.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::dto::Object;
use crate::dto::{DeliveryDto, EventDto, WebhookDto};
use crate::error::ApiError;
use crate::extract::BearerKey;
use crate::state::{ApiState, as_caller};

#[derive(Debug, Deserialize)]
pub struct CreateBody {
    url: String,
    #[serde(default)]
    events: Vec<String>,
}

#[derive(Serialize)]
struct WebhookAnswer<'a> {
    ok: bool,
    webhook: WebhookDto<'a>,
}

pub async fn create(
    state: web::Data<ApiState>,
    key: BearerKey,
    body: web::Json<Object<CreateBody>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner().into_inner();
    let webhook = as_caller(&state, key, move |aispace, caller| {
        aispace.create_webhook(&caller, &body.url, &body.events)
    })
    .await?;
    Ok(HttpResponse::Ok().json(WebhookAnswer {
        ok: true,
        webhook: WebhookDto::new(&webhook, true),
    }))
}

#[derive(Serialize)]
struct WebhookList<'a> {
    ok: bool,
    webhooks: Vec<WebhookDto<'a>>,
}

pub async fn list(state: web::Data<ApiState>, key: BearerKey) -> Result<HttpResponse, ApiError> {
    let webhooks = as_caller(&state, key, |aispace, caller| aispace.webhooks(&caller)).await?;
    Ok(HttpResponse::Ok().json(WebhookList {
        ok: true,
        webhooks: webhooks.iter().map(|w| WebhookDto::new(w, false)).collect(),
    }))
}

pub async fn delete(
    state: web::Data<ApiState>,
    key: BearerKey,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let deleted = id.clone();
    as_caller(&state, key, move |aispace, caller| {
        aispace.delete_webhook(&caller, &id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"ok": true, "deleted": deleted})))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RotatedAnswer<'a> {
    ok: bool,
    webhook: WebhookDto<'a>,
    previous_secret_valid_until: Option<String>,
}

pub async fn rotate_secret(
    state: web::Data<ApiState>,
    key: BearerKey,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let webhook = as_caller(&state, key, move |aispace, caller| {
        aispace.rotate_webhook_secret(&caller, &id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(RotatedAnswer {
        ok: true,
        webhook: WebhookDto::new(&webhook, true),
        previous_secret_valid_until: webhook
            .previous_secret
            .as_ref()
            .map(|(_, until)| until.to_string()),
    }))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EnabledAnswer<'a> {
    ok: bool,
    webhook: WebhookDto<'a>,
    /// `false`: it was on already, and nothing changed.
    was_disabled: bool,
    /// Why it had been turned off; `null` when it was on.
    disabled_reason: Option<&'a str>,
}

/// `POST /api/agent/webhooks/{id}/enable`: on again after it was
/// disabled, its pending deliveries due now on a fresh schedule. Takes no
/// body.
pub async fn enable(
    state: web::Data<ApiState>,
    key: BearerKey,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let enabled = as_caller(&state, key, move |aispace, caller| {
        aispace.enable_webhook(&caller, &id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(EnabledAnswer {
        ok: true,
        webhook: WebhookDto::new(&enabled.webhook, false),
        was_disabled: enabled.was_disabled,
        disabled_reason: enabled.disabled_reason.as_deref(),
    }))
}

pub async fn test(
    state: web::Data<ApiState>,
    key: BearerKey,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let inner = state.clone();
    let event = as_caller(&state, key, move |aispace, caller| {
        inner.spend_webhook_send(&caller, &id)?;
        aispace.ping_webhook(&caller, &id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"ok": true, "eventId": event.as_str()})))
}

#[derive(Serialize)]
struct DeliveryList<'a> {
    ok: bool,
    deliveries: Vec<DeliveryDto<'a>>,
}

pub async fn deliveries(
    state: web::Data<ApiState>,
    key: BearerKey,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let deliveries = as_caller(&state, key, move |aispace, caller| {
        aispace.webhook_deliveries(&caller, &id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(DeliveryList {
        ok: true,
        deliveries: deliveries.iter().map(DeliveryDto::new).collect(),
    }))
}

pub async fn redeliver(
    state: web::Data<ApiState>,
    key: BearerKey,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (webhook, delivery) = path.into_inner();
    let inner = state.clone();
    let queued = as_caller(&state, key, move |aispace, caller| {
        inner.spend_webhook_send(&caller, &webhook)?;
        aispace.redeliver(&caller, &webhook, &delivery)
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"ok": true, "deliveryId": queued.to_string()})))
}

#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    cursor: Option<String>,
    limit: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventList<'a> {
    ok: bool,
    events: Vec<EventDto<'a>>,
    next_cursor: Option<&'a str>,
}

pub async fn events(
    state: web::Data<ApiState>,
    key: BearerKey,
    query: web::Query<EventsQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let page = as_caller(&state, key, move |aispace, caller| {
        aispace.events(&caller, query.cursor.as_deref(), query.limit.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(EventList {
        ok: true,
        events: page.events.iter().map(EventDto::new).collect(),
        next_cursor: page.next_cursor.as_deref(),
    }))
}
